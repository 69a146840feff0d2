// The limits every HTTP/1.1 server of Portico (the admin endpoints, the echo upstream) runs with, so that no
// client can hold a server's memory or sockets: a bounded header block, a deadline for the headers and for the
// whole request (a client sending a byte at a time, "slowloris", is cut), idle keep-alive connections closed,
// and a cap on connections. Node enforces each one itself (the parser answers 431/400/408 and closes).
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

export interface HttpLimits {
  /** Largest request line + header block, in bytes (431 beyond). */
  maxHeaderBytes: number;
  /** Time for the request line and headers to arrive (408 beyond). */
  headersTimeoutMs: number;
  /** Time for the whole request, body included, to arrive (408 beyond). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection is kept open between requests. */
  keepAliveTimeoutMs: number;
  /** A socket with no traffic at all (a response being prepared counts as none) for this long is closed. */
  idleTimeoutMs: number;
  /** Connections beyond this many are closed as soon as they are accepted. */
  maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  // Above the echo upstream's longest ?delay (60 s), which holds a socket without traffic on purpose.
  idleTimeoutMs: 120_000,
  maxConnections: 1024,
};

/** The options of node:http's createServer that take part in these limits. */
export function httpServerOptions(limits: HttpLimits = DEFAULT_HTTP_LIMITS) {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks the two timeouts above on this interval (30 s by default, longer than they are).
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
}

/**
 * The limits that are properties rather than constructor options, and an `error` listener: after listen(),
 * an accept that fails (EMFILE: out of file descriptors) is emitted as the server's error, which would
 * otherwise be thrown as uncaught. It goes to `onError`; the server keeps accepting once descriptors free up.
 */
export function applyHttpLimits(server: Server | HttpsServer, limits: HttpLimits = DEFAULT_HTTP_LIMITS, onError: (err: Error) => void = () => {}): void {
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.timeout = limits.idleTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.on('error', onError);
}
