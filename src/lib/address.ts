import { ConfigError } from './errors.ts';

/** Parses `HOST:PORT` (`[::1]:PORT` for IPv6); port 0 means "pick a free one". */
export function parseHostPort(value: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${what}: expected HOST:PORT (e.g. 127.0.0.1:18000), got '${value}'`);
  return { host: (m[1] ?? m[2]) as string, port };
}
