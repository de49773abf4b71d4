/** Small byte and close-reason helpers of the Yjs room. */
import { MAX_CLOSE_REASON_LENGTH } from "./defaults.js";

/** A view of a binary frame, whatever container it came in (Buffer, ArrayBuffer, typed array). */
export function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** `"ERR_X: message"`, cut to fit a WebSocket close frame. */
export function closeReason(error: { code: string; message: string }): string {
  const reason = `${error.code}: ${error.message}`;
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_LENGTH) return reason;
  let cut = reason.slice(0, MAX_CLOSE_REASON_LENGTH);
  while (Buffer.byteLength(cut) > MAX_CLOSE_REASON_LENGTH) cut = cut.slice(0, -1);
  return cut;
}
