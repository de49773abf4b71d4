/**
 * The `ws` classes, loaded through `require`: importing `ws` as ESM goes through its wrapper, which has Node lex every
 * one of its CommonJS files at start-up (~40 ms of `yparty start` on a quiet machine, twice that under load).
 */
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import type * as Ws from "ws";

const ws = createRequire(import.meta.url)("ws") as typeof Ws;

export const WebSocketServer: typeof Ws.WebSocketServer = ws.WebSocketServer;
export type WebSocketServer = Ws.WebSocketServer;
export const WebSocket: typeof Ws.WebSocket = ws.WebSocket;
export type WebSocket = Ws.WebSocket;

/** Its TCP socket (`ws` keeps it as `_socket`; null once it is gone): for corking writes and counting bytes read. */
export function tcpSocketOf(ws: Ws.WebSocket): Socket | null {
  return (ws as unknown as { _socket?: Socket | null })._socket ?? null;
}

/**
 * Whether its client's close frame has come (`ws` keeps it as `_closeFrameReceived`): `ws` answers it by calling the
 * socket's `close`, which for a handed-out socket must then not wait behind a message its client will not read.
 * test/runtime/large-message-close.test.ts fails if it moves.
 */
export function closeFrameReceived(ws: Ws.WebSocket): boolean {
  return (ws as unknown as { _closeFrameReceived?: boolean })._closeFrameReceived === true;
}

/**
 * Whether it stopped reading its client for what the client sent (a frame past `maxPayload`, a protocol error): its
 * receiver failed (`_receiver._writableState.errorEmitted`, as `ws` itself reads it), and `ws` answers that with a close
 * (1009, 1002, 1007) through the socket's `close`, as its client's close. test/runtime/h167-client-fault-close.test.ts
 * fails if it moves.
 */
export function receiverFailed(ws: Ws.WebSocket): boolean {
  const receiver = (ws as unknown as { _receiver?: { _writableState?: { errorEmitted?: boolean } } })._receiver;
  return receiver?._writableState?.errorEmitted === true;
}

/**
 * The 'error' listener of a socket whose errors its close already reports (or that nothing listens to yet).
 * Module-level, and one for every socket: no listener kept per socket holds its caller's scope.
 */
export function ignoreError(): void {}

/** `ws`'s receiver (ws/lib/receiver.js): the fields that say how much of a message it holds and is owed. */
interface ReceiverState {
  /** Bytes read and not parsed yet: a frame's payload waits here until all of it is in. */
  _bufferedBytes?: number;
  /** The reads those bytes came in, one buffer each. */
  _buffers?: unknown[];
  /** Payload bytes of the fragments of the message being assembled that are already complete. */
  _messageLength?: number;
  /** Those fragments, one buffer each. */
  _numFragments?: number;
  /** Payload bytes the headers of the message's frames announced so far (the one being read included). */
  _totalPayloadLength?: number;
}

/**
 * What each buffer `ws` keeps of a message costs beyond its bytes (the Buffer object and its place in an array; ~110
 * bytes measured): a message sent one byte per TCP write, or in one-byte fragments, holds that much per byte.
 */
const BYTES_PER_PIECE = 128;

/**
 * Bytes `ws` holds or is owed of the message it is receiving from its client: what its frames' headers announced, or
 * what it has read if more (the start of the next frame), and each piece's overhead; 0 for a socket that is not
 * `ws`'s. Read from its receiver's fields: `ws` has no public figure for it. test/runtime/frame-budget.test.ts fails
 * if they move.
 */
export function bytesBeingReceived(ws: Ws.WebSocket): number {
  const receiver = (ws as unknown as { _receiver?: ReceiverState })._receiver;
  if (receiver === undefined) return 0;
  const read = (receiver._bufferedBytes ?? 0) + (receiver._messageLength ?? 0);
  const pieces = (receiver._buffers?.length ?? 0) + (receiver._numFragments ?? 0);
  return Math.max(receiver._totalPayloadLength ?? 0, read) + pieces * BYTES_PER_PIECE;
}
