// The one way Portico talks to Consul: a `consul` (npm) client configured from ConsulOptions (address,
// datacenter, ACL token, TLS), shared by the KV resource source, the status writer, leader election and
// catalog discovery. The token is sent as a header by the client and never logged; `describe()` is what
// logs and errors may show.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import Consul from 'consul';
import { ConfigError } from '../lib/errors.ts';
import { readTlsFiles } from '../lib/tls-files.ts';

export interface ConsulOptions {
  /** `http://127.0.0.1:8500` (the default) or `https://consul.example.com:8501`. */
  address?: string;
  datacenter?: string;
  /** ACL token; `tokenFile` reads it from a file instead (the file wins when both are given). */
  token?: string;
  tokenFile?: string;
  /** PEM files for HTTPS: the CA that signed Consul's certificate, and a client certificate and key. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string; serverName?: string };
}

export interface ConsulConnection {
  client: Consul;
  /** `http://127.0.0.1:8500 (dc1)`: safe to log (no token). */
  describe(): string;
  close(): void;
}

export function connectConsul(opts: ConsulOptions = {}): ConsulConnection {
  const url = parseAddress(opts.address ?? 'http://127.0.0.1:8500');
  const secure = url.protocol === 'https:';
  const token = readToken(opts);
  const agent = secure ? new HttpsAgent({ keepAlive: true, ...readTlsFiles('consul', opts.tls) }) : new HttpAgent({ keepAlive: true });
  const client = new Consul({
    host: url.hostname,
    port: Number(url.port || (secure ? 8501 : 8500)),
    secure,
    agent,
    defaults: { ...(token && { token }), ...(opts.datacenter && { dc: opts.datacenter }) },
  });
  const shown = `${url.protocol}//${url.host}${opts.datacenter ? ` (${opts.datacenter})` : ''}`;
  return { client, describe: () => shown, close: () => agent.destroy() };
}

function parseAddress(address: string): URL {
  const withScheme = /^[a-z]+:\/\//.test(address) ? address : `http://${address}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`consul address '${address}' is not a URL or host:port (e.g. http://127.0.0.1:8500)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`consul address '${address}': the scheme must be http or https`);
  return url;
}

function readToken(opts: ConsulOptions): string | undefined {
  if (!opts.tokenFile) return opts.token;
  try {
    return readFileSync(opts.tokenFile, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`consul token file '${opts.tokenFile}' cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
