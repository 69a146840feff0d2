// The PEM files for HTTPS to a server Portico talks to (Consul, Vault): its CA, and a client certificate and
// key. Read once, at connect time; an unreadable file is one ConfigError naming the service, the role of the
// file and its path (never its content).
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.ts';

export interface TlsFilePaths {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
}

export interface TlsFileContents {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}

export function readTlsFiles(service: string, tls: TlsFilePaths | undefined): TlsFileContents {
  const read = (what: string, file: string | undefined) => {
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(`${service} TLS ${what} '${file}' cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const ca = read('CA file', tls?.caFile);
  const cert = read('certificate file', tls?.certFile);
  const key = read('key file', tls?.keyFile);
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }), ...(tls?.serverName && { servername: tls.serverName }) };
}
