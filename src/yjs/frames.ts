/** Small byte and close-reason helpers of the Yjs room. */
import { MessageType, SyncType, fitCloseReason } from "../protocol/index.js";

/** A view of a binary frame, whatever container it came in (Buffer, ArrayBuffer, typed array). */
export function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** `"ERR_X: message"`, cut to fit a WebSocket close frame. */
export function closeReason(error: { code: string; message: string }): string {
  return fitCloseReason(`${error.code}: ${error.message}`);
}

/**
 * A y-protocols sync frame (`varUint(Sync) • varUint(syncType) • varUint8Array(payload)`) in one allocation and
 * one copy; src/protocol's generic encoder grows a buffer and copies it again, which shows for the big step 2
 * of a large document and for the frame every connection of a room gets for each change.
 */
function syncFrame(syncType: number, payload: Uint8Array): Uint8Array {
  return syncFrameOf(syncType, [payload], payload.byteLength);
}

/** A sync frame whose payload is `pieces` (of `length` bytes together), copied once into it. */
export function syncFrameOf(syncType: number, pieces: readonly Uint8Array[], length: number): Uint8Array {
  let lengthBytes = 1;
  for (let rest = length >>> 7; rest > 0; rest >>>= 7) lengthBytes++;
  const frame = new Uint8Array(2 + lengthBytes + length);
  frame[0] = MessageType.Sync;
  frame[1] = syncType;
  let at = 2;
  let rest = length;
  while (rest > 0x7f) {
    frame[at++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  frame[at++] = rest;
  for (const piece of pieces) {
    frame.set(piece, at);
    at += piece.byteLength;
  }
  return frame;
}

/** Same bytes as src/protocol's `encodeUpdate`. */
export const updateFrame = (update: Uint8Array): Uint8Array => syncFrame(SyncType.Update, update);
/** Same bytes as src/protocol's `encodeSyncStep1`. */
export const step1Frame = (stateVector: Uint8Array): Uint8Array => syncFrame(SyncType.Step1, stateVector);
/** Same bytes as src/protocol's `encodeSyncStep2`. */
export const step2Frame = (update: Uint8Array): Uint8Array => syncFrame(SyncType.Step2, update);

/** The state vector of an empty document: what a fresh client sends in its sync step 1. */
export const EMPTY_STATE_VECTOR = Uint8Array.of(0);

/** Whether `frame` is a sync step 1 with the empty state vector (a fresh client asking for everything). */
export function isFreshStep1(frame: Uint8Array | string): boolean {
  return (
    typeof frame !== "string" && frame.byteLength === 4 && frame[0] === MessageType.Sync && frame[1] === SyncType.Step1 && frame[2] === 1 && frame[3] === 0
  );
}

/** Whether `frame` changes the document: a sync step 2 or an update (not a step 1, awareness or custom message). */
export function isDocumentChange(frame: Uint8Array | string): boolean {
  return typeof frame !== "string" && frame[0] === MessageType.Sync && (frame[1] === SyncType.Step2 || frame[1] === SyncType.Update);
}

/** Whether two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
