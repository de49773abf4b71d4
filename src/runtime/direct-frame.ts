/**
 * Small frames framed here and handed to the TCP socket as one buffer, past `ws`'s `Sender`: its `send` makes two
 * options objects, a header buffer and a two-entry list per frame, and corks the socket to write header and
 * payload apart (a `writev`). Most frames a room sends are small (sync answers, updates, awareness), and every
 * connect sends two of them.
 *
 * A payload sent to several connections in one go (`sendingToMany`: a room's broadcast, a document change sent to
 * every other connection) is framed once, and that one frame is written to each of their sockets.
 *
 * A large text paced in fragments is encoded once too (`utf8Of`).
 *
 * Bytes handed to `ws` instead (a larger payload, one sent while `ws` or the paced sender is busy) are held by
 * reference until written, so `keptPayload` copies them first (once per `sendingToMany`): code that refills its buffer
 * once `send` returned — legal on Workers, whose send copies — must not change a message a slow client has not read.
 * A sender whose payloads never change after sending says so (`neverChanged`) and skips the copy.
 *
 * Only while the `Sender` has nothing of its own in progress — no queue (it queues while compressing or reading a
 * Blob), no fragmented message begun, no permessage-deflate (yparty never negotiates it) — so the bytes on the wire
 * are the ones `ws` would have written, in the same order. Otherwise, or when `ws`'s fields are not where this
 * expects them (another `ws` version), the frame goes through `ws.send`.
 */
import type { WebSocket as WsSocket } from "ws";
import { addToFirstWrite } from "./first-write.js";
import { tcpSocketOf } from "./ws.js";

/** Payloads up to this go as one buffer (a copy; larger ones are not worth copying to save a `writev`). */
export const DIRECT_FRAME_MAX_BYTES = 16 * 1024;

/** The `Sender` fields read here (ws/lib/sender.js). */
interface SenderState {
  _state?: number;
  _firstFragment?: boolean;
  _extensions?: Record<string, unknown>;
}

/** `Sender`'s state when it writes frames as they come (neither compressing nor reading a Blob). */
const SENDER_IDLE = 0;
const FIN = 0x80;
const OPCODE_TEXT = 1;
const OPCODE_BINARY = 2;
/** Payload lengths up to this fit the frame's second byte; longer ones (up to 65,535) follow it in two bytes. */
const SHORT_PAYLOAD = 125;
const TWO_BYTE_LENGTH = 126;

function senderIsIdle(ws: WsSocket): boolean {
  const sender = (ws as unknown as { _sender?: SenderState | null })._sender;
  return (
    sender != null &&
    sender._state === SENDER_IDLE &&
    sender._firstFragment === true &&
    sender._extensions !== undefined &&
    !("permessage-deflate" in sender._extensions)
  );
}

/** The payload `sendingToMany` is sending, its frame once the first send built it, its copy once one was made. */
let sharedPayload: string | ArrayBuffer | ArrayBufferView | null = null;
let sharedFrame: Buffer | null = null;
let sharedCopy: Uint8Array | null = null;
/** The UTF-8 bytes of a text payload, once a send that paces it made them. */
let sharedText: Buffer | null = null;
/** Payloads their sender never changes once sent (`neverChanged`): handed over without a copy. */
const unchanging = new WeakSet<ArrayBuffer | ArrayBufferView>();

/**
 * Calls `sendAll`, during which every direct frame of `payload` is the frame built for its first send: a message sent
 * to many connections is framed (allocated and copied) once, not once per connection. `payload` must not change
 * while `sendAll` runs (what it is when first framed is what every connection gets).
 */
export function sendingToMany(payload: string | ArrayBuffer | ArrayBufferView, sendAll: () => void): void {
  const outerPayload = sharedPayload;
  const outerFrame = sharedFrame;
  const outerCopy = sharedCopy;
  const outerText = sharedText;
  sharedPayload = payload;
  sharedFrame = null;
  sharedCopy = null;
  sharedText = null;
  try {
    sendAll();
  } finally {
    sharedPayload = outerPayload;
    sharedFrame = outerFrame;
    sharedCopy = outerCopy;
    sharedText = outerText;
  }
}

/** Declares that `bytes` never changes once sent (a Yjs frame is encoded for its send): `keptPayload` skips its copy. */
export function neverChanged(bytes: ArrayBuffer | ArrayBufferView): void {
  unchanging.add(bytes);
}

/** `data` as `ws` or the paced sender may hold it until written: a copy, unless its sender said it never changes. */
export function keptPayload(data: ArrayBuffer | ArrayBufferView): ArrayBuffer | ArrayBufferView {
  if (unchanging.has(data)) return data;
  if (data !== sharedPayload) return copyOf(data);
  return (sharedCopy ??= copyOf(data));
}

/** `text`'s UTF-8 bytes, for a send that paces it: made once for every connection of a `sendingToMany`. */
export function utf8Of(text: string): Buffer {
  if (text !== sharedPayload) return Buffer.from(text);
  return (sharedText ??= Buffer.from(text));
}

function copyOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data.slice(0)) : new Uint8Array(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/**
 * Writes `data` (`bytes` long, at most `DIRECT_FRAME_MAX_BYTES`) as one unmasked, final frame, text for a string,
 * binary otherwise, if nothing in `ws` is in the way; false when the caller must send it through `ws.send`.
 * The socket must be open.
 */
export function writeDirectFrame(ws: WsSocket, data: string | ArrayBuffer | ArrayBufferView, bytes: number): boolean {
  const socket = tcpSocketOf(ws);
  if (socket === null || !senderIsIdle(ws)) return false;
  const frame = data !== sharedPayload ? frameOf(data, bytes) : (sharedFrame ??= frameOf(data, bytes));
  if (!addToFirstWrite(socket, frame)) socket.write(frame);
  return true;
}

/** `data` (`bytes` long) as one unmasked, final frame. Written once, never changed after: several sockets may write it. */
function frameOf(data: string | ArrayBuffer | ArrayBufferView, bytes: number): Buffer {
  const header = bytes <= SHORT_PAYLOAD ? 2 : 4;
  const frame = Buffer.allocUnsafe(header + bytes);
  frame[0] = FIN | (typeof data === "string" ? OPCODE_TEXT : OPCODE_BINARY);
  if (header === 2) {
    frame[1] = bytes;
  } else {
    frame[1] = TWO_BYTE_LENGTH;
    frame.writeUInt16BE(bytes, 2);
  }
  // Most payloads are Uint8Arrays: copied as they are, without a view made of them.
  if (typeof data === "string") frame.write(data, header, "utf8");
  else if (data instanceof Uint8Array) frame.set(data, header);
  else if (ArrayBuffer.isView(data)) frame.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header);
  else frame.set(new Uint8Array(data), header);
  return frame;
}
