// The malformed-request corpus: what an attacker or a broken client may send to any port Portico listens on,
// as raw TCP bytes (node:net, node:tls) and as HTTP/2 (node:http2). Each probe opens its own connection(s),
// sends, reads whatever comes back, and ends within its bound: a server that never answers is the server's
// problem, the probe never hangs. Every probe goes to every port, whatever the port speaks: an HTTP/1.1 port gets
// HTTP/2 frames and a gRPC port gets HTTP/1.1 junk, as they would on a network. Add a row to grow it.
import { connect as h2connect, constants, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface ProbeTarget {
  name: string;
  port: number;
  /** A gRPC method the port serves (for the probes that speak gRPC); '/' for an HTTP/1.1 port. */
  grpcPath: string;
  /**
   * Send every probe inside TLS with this client's credentials (and the HTTP/2 ones with this token), to reach
   * what is behind the handshake and the token check. Without it the bytes go as they are, TLS port or not.
   */
  inside?: { ca: string; cert: string; key: string; servername: string; token?: string };
}

export interface Probe {
  name: string;
  send(target: ProbeTarget): Promise<void>;
}

/** How long one connection of a probe may stay open waiting for the server. */
const BOUND_MS = 1500;

// ---- raw TCP ----------------------------------------------------------------------------------------------

type Ending = 'half-close' | 'reset' | 'wait';

/** Connects, writes each chunk (with `gapMs` between them), ends as told, and resolves when closed or at the bound. */
function raw(t: ProbeTarget, chunks: readonly (string | Buffer)[], ending: Ending = 'half-close', gapMs = 0, boundMs = BOUND_MS): Promise<void> {
  return new Promise((resolve) => {
    const socket = t.inside ? tlsConnect({ port: t.port, host: '127.0.0.1', ...t.inside }) : netConnect(t.port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), boundMs + gapMs * chunks.length);
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on(t.inside ? 'secureConnect' : 'connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
      if (socket.destroyed) return;
      if (ending === 'half-close') socket.end();
      // A TLS socket cannot send a TCP RST: it is closed at once instead.
      if (ending === 'reset' && t.inside) socket.destroy();
      else if (ending === 'reset') socket.resetAndDestroy();
    });
  });
}

const http1 = (name: string, request: string | Buffer, ending: Ending = 'half-close'): Probe => ({ name, send: (t) => raw(t, [request], ending) });
const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nhost: portico\r\n${extra}\r\n`;

/** A fixed pseudo-random byte string (xorshift): the same junk every run, so a failure can be replayed. */
function junk(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

// ---- HTTP/2 frames, by hand (what node:http2 refuses to send) -----------------------------------------------

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;

function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK from the static table: :method POST, :scheme http, :path / (a request any server can parse). */
const POST_HEADERS = Buffer.from([0x83, 0x86, 0x84]);
const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const many = (count: number, make: (i: number) => Buffer) => Buffer.concat(Array.from({ length: count }, (_, i) => make(i)));
const h2raw = (name: string, frames: Buffer, ending: Ending = 'wait'): Probe => ({ name, send: (t) => raw(t, [PREFACE, frame(FRAME.SETTINGS, 0, 0), frames], ending) });

// ---- node:http2 -------------------------------------------------------------------------------------------

/** An HTTP/2 session to the port, handed to `use`, destroyed at the bound (or when `use` is done). */
async function withSession(t: ProbeTarget, use: (session: ClientHttp2Session) => Promise<unknown> | void): Promise<void> {
  const session = t.inside ? h2connect(`https://127.0.0.1:${t.port}`, t.inside) : h2connect(`http://127.0.0.1:${t.port}`);
  session.on('error', () => {});
  const timer = setTimeout(() => session.destroy(), BOUND_MS);
  try {
    await Promise.race([use(session), new Promise((r) => session.once('close', r))]);
  } catch {
    // a refused stream or a dead session is an answer too
  } finally {
    clearTimeout(timer);
    session.destroy();
  }
}

/** One request; resolves when its stream closes (answered, reset or refused). */
function request(session: ClientHttp2Session, headers: Record<string, string | string[]>, body?: Buffer, end = true): Promise<void> {
  return new Promise((resolve) => {
    let stream;
    try {
      stream = session.request({ ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers', ...headers });
    } catch {
      return resolve(); // a header Node itself refuses to send
    }
    stream.on('error', () => {});
    stream.on('data', () => {});
    stream.on('close', () => resolve());
    if (body) stream.write(body);
    if (end) stream.end();
  });
}

/** The session, its requests carrying the target's token (a probe's own `authorization` still wins). */
function authorized(session: ClientHttp2Session, t: ProbeTarget): ClientHttp2Session {
  const token = t.inside?.token;
  if (token === undefined) return session;
  const request = session.request.bind(session);
  session.request = (headers, options) => request({ authorization: `Bearer ${token}`, ...headers }, options);
  return session;
}

const grpcMessage = (length: number, payload: Buffer = Buffer.alloc(0)) => Buffer.concat([Buffer.from([0]), u32(length), payload]);
const h2 = (name: string, use: (session: ClientHttp2Session, t: ProbeTarget) => Promise<unknown>): Probe => ({ name, send: (t) => withSession(t, (s) => use(authorized(s, t), t)) });

// ---- the corpus -------------------------------------------------------------------------------------------

export const CORPUS: readonly Probe[] = [
  // request lines URL cannot parse, or that are no origin-form path
  http1('target: http://[', get('http://[')),
  http1('target: http://[/healthz', get('http://[/healthz')),
  http1('target: http://:99999/', get('http://:99999/')),
  http1('target: *', get('*')),
  http1('target: authority form', 'CONNECT portico:443 HTTP/1.1\r\nhost: portico:443\r\n\r\n'),
  http1('target: empty', 'GET  HTTP/1.1\r\nhost: p\r\n\r\n'),
  http1('target: %-encoding broken', get('/%zz%/%')),
  http1('target: 64 KB long', get(`/${'a'.repeat(65_536)}`)),
  // prototype names
  ...['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', 'prototype'].map((n) => http1(`path: /debug/${n}`, get(`/debug/${n}`))),
  http1('path: /__proto__/constructor', get('/__proto__/constructor')),
  http1('path: /debug/../debug/constructor', get('/debug/../debug/constructor')),
  http1('path: /debug/constructor with a token', get('/debug/constructor', 'authorization: Bearer not-the-token\r\n')),
  // versions and methods
  ...['HTTP/9.9', 'HTTP/1.x', 'HTTP/0.9', 'HTTP/1.1 extra', 'http/1.1', 'HTTP/1'].map((v) => http1(`version: ${v}`, `GET / ${v}\r\nhost: p\r\n\r\n`)),
  http1('version: none (HTTP/0.9 style)', 'GET /\r\n\r\n'),
  ...['FOO', 'BREW', 'get', 'G\u00e9T', 'PROPFIND', 'TRACE', 'M-SEARCH', 'X'.repeat(300)].map((m) => http1(`method: ${m.slice(0, 12)}`, `${m} / HTTP/1.1\r\nhost: p\r\n\r\n`)),
  http1('method: POST with a body to /healthz', 'POST /healthz HTTP/1.1\r\nhost: p\r\ncontent-length: 5\r\n\r\nhello'),
  // headers: size, count, syntax
  http1('headers: one of 1 MB', get('/healthz', `x-big: ${'a'.repeat(1024 * 1024)}\r\n`)),
  http1('headers: 5,000 of them', get('/healthz', many(5000, (i) => Buffer.from(`x-h${i}: v\r\n`)).toString())),
  http1('headers: no colon', get('/healthz', 'not a header\r\n')),
  http1('headers: space in the name', get('/healthz', 'x bad: v\r\n')),
  http1('headers: obsolete line folding', get('/healthz', 'x-a: one\r\n  two\r\n')),
  http1('headers: NUL in a value', get('/healthz', 'x-a: a\u0000b\r\n')),
  http1('headers: two Hosts', get('/healthz', 'host: other\r\n')),
  http1('headers: no Host', 'GET /healthz HTTP/1.1\r\n\r\n'),
  http1('headers: authorization without Bearer', get('/debug/ir', 'authorization: Basic Zm9vOmJhcg==\r\n')),
  http1('headers: authorization of 64 KB', get('/debug/ir', `authorization: Bearer ${'t'.repeat(65_536)}\r\n`)),
  // bytes that are not HTTP at all
  http1('junk: NUL bytes', Buffer.alloc(4096)),
  http1('junk: CR and LF only', '\r\n\r\n\r\r\n\n\n\r\r\r\n'),
  http1('junk: bare LF line ends', 'GET /healthz HTTP/1.1\nhost: p\n\n'),
  http1('junk: NUL in the request line', 'GET /\u0000healthz HTTP/1.1\r\nhost: p\r\n\r\n'),
  http1('junk: 8 KB of random bytes', junk(8192, 0x2545f491)),
  http1('junk: random bytes after a valid request', Buffer.concat([Buffer.from(get('/healthz')), junk(4096, 0x1b873593)])),
  // bodies and framing
  http1('body: content-length and chunked together', 'POST / HTTP/1.1\r\nhost: p\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n'),
  http1('body: chunk size not hex', 'POST / HTTP/1.1\r\nhost: p\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'),
  http1('body: negative content-length', 'POST / HTTP/1.1\r\nhost: p\r\ncontent-length: -1\r\n\r\n'),
  http1('body: content-length of 100 GB, then close', 'POST / HTTP/1.1\r\nhost: p\r\ncontent-length: 107374182400\r\n\r\nabc'),
  http1('body: expect 100-continue, never sent', 'POST / HTTP/1.1\r\nhost: p\r\ncontent-length: 10\r\nexpect: 100-continue\r\n\r\n', 'wait'),
  http1('upgrade: websocket without a key', get('/', 'upgrade: websocket\r\nconnection: upgrade\r\n')),
  http1('upgrade: websocket, then a frame of 4 GB', Buffer.concat([
    Buffer.from(get('/', 'upgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n')),
    Buffer.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]),
  ])),
  http1('upgrade: h2c', get('/', 'upgrade: h2c\r\nconnection: upgrade, http2-settings\r\nhttp2-settings: AAMAAABkAAQAAP__\r\n')),
  http1('pipelining: 200 requests in one write', get('/healthz').repeat(200)),
  // connections: half-closed, reset, slow, TLS
  http1('connection: half-closed mid-headers', 'GET /healthz HTTP/1.1\r\nhost:'),
  http1('connection: reset mid-headers', 'GET /healthz HTTP/1.1\r\nhost: p\r\nx-a:', 'reset'),
  http1('connection: reset mid-body', 'POST / HTTP/1.1\r\nhost: p\r\ncontent-length: 100\r\n\r\nabc', 'reset'),
  { name: 'connection: slow client, a byte per 200 ms (bounded)', send: (t) => raw(t, [...get('/healthz')].slice(0, 15), 'reset', 200, 500) },
  { name: 'connection: slow HTTP/2 preface, a byte per 200 ms (bounded)', send: (t) => raw(t, [...PREFACE].slice(0, 15), 'reset', 200, 500) },
  { name: 'connection: 50 connections opened and left', send: (t) => Promise.all(Array.from({ length: 50 }, () => raw(t, [], 'wait', 0, 500))).then(() => undefined) },
  {
    name: 'tls: ClientHello to the port',
    send: (t) =>
      new Promise<void>((resolve) => {
        const socket = tlsConnect({ port: t.port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] });
        const timer = setTimeout(() => socket.destroy(), BOUND_MS);
        socket.on('error', () => {});
        socket.on('close', () => (clearTimeout(timer), resolve()));
      }),
  },
  // HTTP/2 frames by hand
  http1('h2: the preface, then garbage', Buffer.concat([Buffer.from(PREFACE), junk(4096, 0x68e31da4)]), 'wait'),
  http1('h2: a preface cut short', 'PRI * HTTP/2.0\r\n\r\nS', 'wait'),
  h2raw('h2: SETTINGS flood (10,000 frames)', many(10_000, () => frame(FRAME.SETTINGS, 0, 0, Buffer.from([0, 3, 0, 0, 0, 100])))),
  h2raw('h2: PING flood (10,000 frames)', many(10_000, (i) => frame(FRAME.PING, 0, 0, Buffer.concat([u32(i), u32(i)])))),
  h2raw('h2: RST_STREAM flood (rapid reset, 5,000 streams)', many(5000, (i) => Buffer.concat([frame(FRAME.HEADERS, END_HEADERS, 2 * i + 1, POST_HEADERS), frame(FRAME.RST_STREAM, 0, 2 * i + 1, u32(8))]))),
  h2raw('h2: CONTINUATION flood', Buffer.concat([frame(FRAME.HEADERS, 0, 1, POST_HEADERS), many(10_000, () => frame(FRAME.CONTINUATION, 0, 1, Buffer.from([0x40, 0x01, 0x78, 0x01, 0x79])))])),
  h2raw('h2: HEADERS with a broken HPACK block', frame(FRAME.HEADERS, END_HEADERS | END_STREAM, 1, junk(64, 0x3c6ef372))),
  h2raw('h2: DATA on stream 0', frame(FRAME.DATA, 0, 0, Buffer.from('x'))),
  h2raw('h2: DATA on a stream never opened', frame(FRAME.DATA, END_STREAM, 7, Buffer.from('x'))),
  h2raw('h2: WINDOW_UPDATE overflowing the window', Buffer.concat([frame(FRAME.WINDOW_UPDATE, 0, 0, u32(0x7fffffff)), frame(FRAME.WINDOW_UPDATE, 0, 0, u32(0x7fffffff))])),
  h2raw('h2: a frame of 16 MB announced', frame(FRAME.DATA, 0, 1, Buffer.alloc(0)).fill(0xff, 0, 3)),
  h2raw('h2: even stream id from the client', frame(FRAME.HEADERS, END_HEADERS | END_STREAM, 2, POST_HEADERS)),
  // HTTP/2 and gRPC through node:http2
  h2('h2: 2,000 streams opened at once, never finished', (s, t) => Promise.all(Array.from({ length: 2000 }, () => request(s, { ':path': t.grpcPath }, undefined, false)))),
  h2('h2: 1,000 requests reset at once', (s, t) =>
    Promise.all(
      Array.from({ length: 1000 }, () => {
        const stream = s.request({ ':method': 'POST', ':path': t.grpcPath, 'content-type': 'application/grpc' });
        stream.on('error', () => {});
        stream.close(constants.NGHTTP2_CANCEL);
        return new Promise((r) => stream.on('close', r));
      }),
    ),
  ),
  h2('grpc: a length prefix claiming 4 GB', (s, t) => request(s, { ':path': t.grpcPath }, grpcMessage(0xffffffff, Buffer.alloc(64)), false)),
  h2('grpc: a message of 5 MB', (s, t) => request(s, { ':path': t.grpcPath }, grpcMessage(5 * 1024 * 1024, Buffer.alloc(5 * 1024 * 1024)))),
  h2('grpc: a message of junk', (s, t) => request(s, { ':path': t.grpcPath }, grpcMessage(512, junk(512, 0x7f4a7c15)))),
  h2('grpc: a prefix longer than the body', (s, t) => request(s, { ':path': t.grpcPath }, grpcMessage(1000, Buffer.from('short')))),
  h2('grpc: compressed flag without compression', (s, t) => request(s, { ':path': t.grpcPath }, Buffer.concat([Buffer.from([1]), u32(3), Buffer.from('abc')]))),
  h2('grpc: no content-type', (s, t) => request(s, { ':path': t.grpcPath, 'content-type': 'text/plain' }, Buffer.from('x'))),
  h2('grpc: GET instead of POST', (s, t) => request(s, { ':method': 'GET', ':path': t.grpcPath })),
  h2('grpc: prototype names as methods', (s) => Promise.all(['/__proto__', '/constructor', '/hasOwnProperty', '/x.Y/constructor', '/x.Y/__proto__'].map((p) => request(s, { ':path': p }, grpcMessage(0))))),
  h2('grpc: a header of 100 KB', (s, t) => request(s, { ':path': t.grpcPath, 'x-big': 'a'.repeat(100 * 1024) }, grpcMessage(0))),
  h2('grpc: 1,000 headers', (s, t) => request(s, { ':path': t.grpcPath, ...Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`x-h${i}`, 'v'])) }, grpcMessage(0))),
  h2('grpc: a wrong bearer token of 64 KB', (s, t) => request(s, { ':path': t.grpcPath, authorization: `Bearer ${'t'.repeat(65_536)}` }, grpcMessage(0))),
  h2('grpc: grpc-timeout of junk', (s, t) => request(s, { ':path': t.grpcPath, 'grpc-timeout': '99999999999999999999H' }, grpcMessage(0))),
  h2('grpc: grpc-encoding unknown', (s, t) => request(s, { ':path': t.grpcPath, 'grpc-encoding': 'zstd-9000' }, Buffer.concat([Buffer.from([1]), u32(3), Buffer.from('abc')]))),
];

/** Sends every probe to `target`, `concurrency` at a time; resolves to the number sent. */
export async function sendCorpus(target: ProbeTarget, corpus: readonly Probe[] = CORPUS, concurrency = 8): Promise<number> {
  const queue = [...corpus];
  const worker = async () => {
    for (let probe = queue.shift(); probe; probe = queue.shift()) await probe.send(target);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return corpus.length;
}
