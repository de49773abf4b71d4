/**
 * A raw TCP client that sends a plain WebSocket upgrade and records the server's answer read by read, for the tests of
 * how the upgrade's answer (101) and the first frames leave the server (held, in one write, or apart).
 *
 *   rawUpgrade(port, path) → { socket, chunks, received(done) }: `chunks` holds each read as it came (latin1);
 *     `received(done)` waits until what came so far satisfies `done`. The socket is destroyed at cleanup.
 *   textFrame(text) — a text frame as a server sends it (final, unmasked, under 126 bytes), latin1.
 *   HEAD_END — the end of the 101's head.
 *   closeCodeAfterHead(all) — the code of a close frame that follows the 101 in what came; closeCodeOf(frames) of
 *     a close frame first in `frames`.
 *   framesWithThe101(client) — what followed the 101, asserting that both came in one write (one read here).
 *   pollTwice() — two turns of the event loop, each with its poll for I/O: what the server has written by now has been read.
 */
import { connect as tcpConnect, type Socket } from "node:net";
import { expect } from "vitest";
import { onCleanup, waitFor } from "./server.js";

export const HEAD_END = "\r\n\r\n";

export const textFrame = (text: string): string => String.fromCharCode(0x81, text.length) + text;

export interface RawUpgrade {
  socket: Socket;
  chunks: string[];
  received(done: (all: string) => boolean): Promise<void>;
}

export function rawUpgrade(port: number, path: string): RawUpgrade {
  const socket = tcpConnect(port, "127.0.0.1");
  const chunks: string[] = [];
  const waiters = new Set<() => void>();
  socket.on("error", () => {});
  socket.on("data", (chunk: Buffer) => {
    chunks.push(chunk.toString("latin1"));
    for (const waiter of waiters) waiter();
  });
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  onCleanup(() => socket.destroy());
  const received = (done: (all: string) => boolean): Promise<void> =>
    waitFor(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (!done(chunks.join(""))) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
      "the server's answer",
    );
  return { socket, chunks, received };
}

export const pollTwice = async (): Promise<void> => {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
};

/** The close code of the first frame after the 101 in `all` (what `rawUpgrade` received), if that frame is a close. */
export const closeCodeAfterHead = (all: string): number | undefined => closeCodeOf(all.split(HEAD_END)[1] ?? "");

/** The close code of the first of `frames`, if it is a close. */
export function closeCodeOf(frames: string): number | undefined {
  if (frames.charCodeAt(0) !== 0x88 || frames.length < 4) return undefined;
  return (frames.charCodeAt(2) << 8) | frames.charCodeAt(3);
}

/** The frames that came with the 101, asserting that the 101 and they left the server in one write (one read here). */
export function framesWithThe101(client: RawUpgrade): string {
  expect(client.chunks).toHaveLength(1);
  const [head = "", frames = ""] = client.chunks[0]!.split(HEAD_END);
  expect(head.startsWith("HTTP/1.1 101 Switching Protocols\r\n")).toBe(true);
  return frames;
}
