/**
 * A WebSocket client of raw TCP bytes, for the tests of what the server does with frames it has not finished
 * reading: `ws` clients cannot stop partway through a frame, announce a length they never send, or put several frames
 * in one write (as a browser under load does).
 *
 *   rawClient(port, path) → RawClient: { socket, closed, gone, write(bytes) }
 *     Sends the upgrade and resolves once the server answered 101; then reads the server's frames for its close code.
 *   closeCodes(clients) — the close codes of `clients` as they come.
 *   frameHeader(length), frame(payload) — masked (mask 0) binary frames, or just the header of one.
 *   textFrame(name, char, length) — a y-protocols update frame that inserts text.
 *   closeRawClients() — destroys every socket rawClient opened (afterEach).
 */
import { connect as tcpConnect, type Socket } from "node:net";
import { expect } from "vitest";
import * as Y from "yjs";
import { encodeUpdate } from "../../src/protocol/index.js";
import { waitFor } from "./server.js";

/** A client of raw bytes: the upgrade, then frames (or parts of one) as it is told; it reads the server's close. */
export interface RawClient {
  socket: Socket;
  /** The code of the server's close frame (1006 if the socket closed without one). */
  closed: Promise<number>;
  /** Resolves once the socket is closed (the server cut it). */
  gone: Promise<void>;
  /** Writes `bytes` and resolves once the kernel took them (never, if the server stopped reading). */
  write(bytes: Uint8Array): Promise<void>;
}

const sockets = new Set<Socket>();

export async function rawClient(port: number, path: string): Promise<RawClient> {
  const socket = tcpConnect(port, "127.0.0.1");
  sockets.add(socket);
  socket.on("error", () => {});
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  let buffered = Buffer.alloc(0);
  let upgraded = false;
  let onUpgrade!: () => void;
  const upgrade = new Promise<void>((resolve) => (onUpgrade = resolve));
  const gone = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  const closed = new Promise<number>((resolve) => {
    socket.on("close", () => resolve(1006));
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!upgraded) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        expect(buffered.subarray(0, 12).toString()).toBe("HTTP/1.1 101");
        buffered = buffered.subarray(end + 4);
        upgraded = true;
        onUpgrade();
      }
      // The server's frames, unmasked: skip all but a close, whose first two payload bytes are its code.
      for (;;) {
        if (buffered.length < 2) return;
        const opcode = buffered[0]! & 0x0f;
        let length = buffered[1]! & 0x7f;
        let at = 2;
        if (length === 126) {
          if (buffered.length < 4) return;
          length = buffered.readUInt16BE(2);
          at = 4;
        } else if (length === 127) {
          if (buffered.length < 10) return;
          length = Number(buffered.readBigUInt64BE(2));
          at = 10;
        }
        if (buffered.length < at + length) return;
        if (opcode === 8) return resolve(length >= 2 ? buffered.readUInt16BE(at) : 1005);
        buffered = buffered.subarray(at + length);
      }
    });
  });
  await waitFor(upgrade, `the upgrade of ${path}`);
  return { socket, closed, gone, write: (bytes) => new Promise<void>((resolve) => socket.write(bytes, () => resolve())) };
}

export function closeRawClients(): void {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
}

/** The close codes of `clients` as they come (a socket the server cut without a close frame: 1006). */
export function closeCodes(clients: RawClient[]): number[] {
  const codes: number[] = [];
  for (const client of clients) void client.closed.then((code) => codes.push(code));
  return codes;
}

/** The header of a masked binary frame (mask 0: the payload goes as it is) that says `length` bytes follow. */
export function frameHeader(length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x82;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header; // bytes 10–13: the mask, zeros
}

/** A whole masked binary frame (mask 0). */
export function frame(payload: Uint8Array): Buffer {
  return Buffer.concat([frameHeader(payload.byteLength), payload]);
}

/** A y-protocols update frame that inserts `length` characters `char` into the text `name`. */
export function textFrame(name: string, char: string, length: number): Uint8Array {
  const doc = new Y.Doc();
  doc.getText(name).insert(0, char.repeat(length));
  return encodeUpdate(Y.encodeStateAsUpdate(doc));
}

/** The server's frame budget count (`limits.maxFrameBytesInFlight`), for waiting until a client's bytes are counted. */
export function budgetCount(server: unknown): number {
  return (server as { frameBudget: { count: number } }).frameBudget.count;
}
