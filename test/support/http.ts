// A plain HTTP client for tests: unlike fetch it lets a test set Host, and it never reuses connections,
// so each request sees the listener's current config.
import { request } from 'node:http';

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

export function httpRequest(port: number, path: string, opts: HttpOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', agent: false, headers: { ...(opts.host ? { host: opts.host } : {}), ...opts.headers }, timeout: opts.timeoutMs ?? 5000 },
      (res) => {
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
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ...(json ? { json } : {}) });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to :${port}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
