// Plain HTTP and HTTPS clients for tests: unlike fetch they let a test set Host (and SNI), and by default they
// never reuse connections, so each request sees the listener's current config.
import { request, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequestRaw, type Agent as HttpsAgent } from 'node:https';
import type { SecureVersion, TLSSocket } from 'node:tls';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body parsed as JSON when it is JSON (the echo upstream's reply), else undefined. */
  json?: Record<string, unknown> & { backend?: string; path?: string; host?: string; method?: string; headers?: Record<string, string> };
}

export interface HttpOptions {
  method?: string;
  host?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface HttpsOptions extends HttpOptions {
  /** The SNI name; the certificate is checked against it. */
  servername: string;
  /** The CA that signed the gateway's certificates (PEM). */
  ca: string;
  /** A keep-alive agent to reuse one connection; default: a new connection per request. */
  agent?: HttpsAgent;
  /** The highest TLS version the client offers. */
  maxVersion?: SecureVersion;
}

export interface HttpsResult extends HttpResult {
  /** The certificate the gateway served: its subject CN, subjectAltName and SHA-256 fingerprint. */
  peer: { cn: string; san: string; fingerprint: string };
  /** The client side port of the connection, to tell connections apart. */
  localPort: number;
  /** What the handshake settled on, e.g. `TLSv1.3` and `TLS_AES_128_GCM_SHA256`. */
  tls: { protocol: string; cipher: string };
}

export function httpRequest(port: number, path: string, opts: HttpOptions = {}): Promise<HttpResult> {
  return send((cb) => request(requestOptions(port, path, opts), cb), port, path, opts.timeoutMs, () => ({}));
}

export function httpsRequest(port: number, path: string, opts: HttpsOptions): Promise<HttpsResult> {
  const options = { ...requestOptions(port, path, opts), servername: opts.servername, ca: opts.ca, agent: opts.agent ?? false, ...(opts.maxVersion && { maxVersion: opts.maxVersion }) };
  return send((cb) => httpsRequestRaw(options, cb), port, path, opts.timeoutMs, (res) => {
    const socket = res.socket as TLSSocket;
    const cert = socket.getPeerCertificate();
    const tls = { protocol: socket.getProtocol() ?? '', cipher: socket.getCipher().name };
    return { peer: { cn: String(cert.subject?.CN ?? ''), san: cert.subjectaltname ?? '', fingerprint: cert.fingerprint256 ?? '' }, localPort: socket.localPort ?? 0, tls };
  });
}

function requestOptions(port: number, path: string, opts: HttpOptions): RequestOptions {
  const headers = { ...(opts.host ? { host: opts.host } : {}), ...opts.headers };
  return { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', agent: false, headers, timeout: opts.timeoutMs ?? 5000 };
}

function send<X>(
  start: (cb: (res: IncomingMessage) => void) => ClientRequest,
  port: number,
  path: string,
  timeoutMs: number | undefined,
  extra: (res: IncomingMessage) => X,
): Promise<HttpResult & X> {
  return new Promise((resolve, reject) => {
    const req = start((res) => {
      const more = extra(res);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: HttpResult['json'];
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ...(json ? { json } : {}), ...more });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request to :${port}${path} timed out after ${timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    req.end();
  });
}
