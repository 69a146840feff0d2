// The echo upstream's WebSocket side (RFC 6455, just enough for tests): the handshake, then each text or
// binary message comes back as the text message `<backend>: <message>`; pings get pongs, a close is
// answered and ends the connection. Fragmented messages are not supported. A frame announcing more than
// MAX_FRAME_BYTES is answered with close code 1009 (message too big) before any of it is buffered.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP = { text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;
export const MAX_FRAME_BYTES = 1024 * 1024;
const CLOSE_TOO_BIG = Buffer.from([0x03, 0xf1]); // close status 1009
/** An upgraded socket no longer has the HTTP server's idle timeout: this one replaces it. */
const IDLE_TIMEOUT_MS = 120_000;

/** `head`: the bytes that came after the handshake in the same packet (the client's first frames). */
export function acceptWebSocket(name: string, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const key = req.headers['sec-websocket-key'];
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string') {
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    return;
  }
  const accept = createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\nx-echo-backend: ${name}\r\n\r\n`,
  );
  socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
  let pending = Buffer.alloc(0);
  const received = (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (let frame = readFrame(pending); frame; frame = readFrame(pending)) {
      if (frame === TOO_LARGE) return void socket.end(encodeFrame(OP.close, CLOSE_TOO_BIG));
      pending = pending.subarray(frame.size);
      if (frame.opcode === OP.close) return void socket.end(encodeFrame(OP.close, Buffer.alloc(0)));
      if (frame.opcode === OP.ping) socket.write(encodeFrame(OP.pong, frame.payload));
      if (frame.opcode === OP.text || frame.opcode === OP.binary) socket.write(encodeFrame(OP.text, Buffer.from(`${name}: ${frame.payload.toString('utf8')}`)));
    }
  };
  socket.on('data', received);
  socket.on('error', () => socket.destroy());
  if (head.length) received(head);
}

interface Frame {
  opcode: number;
  payload: Buffer;
  /** Bytes the frame takes in the buffer. */
  size: number;
}

const TOO_LARGE = 'too large';

/**
 * The complete frame at the start of `buf`, unmasked (clients always mask); undefined until all of it
 * arrived; TOO_LARGE as soon as its header announces more than MAX_FRAME_BYTES.
 */
function readFrame(buf: Buffer): Frame | typeof TOO_LARGE | undefined {
  if (buf.length < 2) return undefined;
  const short = buf.readUInt8(1) & 0x7f;
  const lengthBytes = short === 126 ? 2 : short === 127 ? 8 : 0;
  const masked = (buf.readUInt8(1) & 0x80) !== 0;
  const header = 2 + lengthBytes + (masked ? 4 : 0);
  if (buf.length < header) return undefined;
  const length = short === 126 ? buf.readUInt16BE(2) : short === 127 ? Number(buf.readBigUInt64BE(2)) : short;
  if (length > MAX_FRAME_BYTES) return TOO_LARGE;
  if (buf.length < header + length) return undefined;
  const payload = Buffer.from(buf.subarray(header, header + length));
  if (masked) {
    const mask = buf.subarray(header - 4, header);
    for (let i = 0; i < payload.length; i++) payload.writeUInt8(payload.readUInt8(i) ^ mask.readUInt8(i % 4), i);
  }
  return { opcode: buf.readUInt8(0) & 0x0f, payload, size: header + length };
}

/** A final, unmasked server frame. */
function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const size = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const head = Buffer.alloc(size);
  head.writeUInt8(0x80 | opcode, 0);
  head.writeUInt8(size === 2 ? n : size === 4 ? 126 : 127, 1);
  if (size === 4) head.writeUInt16BE(n, 2);
  if (size === 10) head.writeBigUInt64BE(BigInt(n), 2);
  return Buffer.concat([head, payload]);
}
