/**
 * A socket's first bytes gathered into one write: the upgrade's answer (101) and the small frames its room sends in
 * the same turn (a Yjs room's sync step 1 and awareness), handed to the TCP socket as one buffer once the accept is
 * over. A corked socket would write them together too, but through its buffering: an entry per write, then a
 * `writev` of them (~10 µs and ~1 KB more per connect).
 *
 * One socket at a time: an accept runs to its end in one synchronous call. Anything that writes to the held socket
 * by another way meanwhile — `ws` sending a close or a frame it frames itself — calls `releaseFirstWrite()` first,
 * so the 101 stays first on the wire.
 */
import type { Duplex } from "node:stream";

/** Held bytes past this are written at once (the frames that follow are written as they are sent). */
const MAX_HELD_BYTES = 64 * 1024;

let heldSocket: Duplex | null = null;
let heldHead = "";
const heldFrames: Buffer[] = [];
let heldBytes = 0;

/** Holds `head` (ASCII: an HTTP response head) as the socket's first bytes; the caller releases them. */
export function holdFirstWrite(socket: Duplex, head: string): void {
  releaseFirstWrite();
  heldSocket = socket;
  heldHead = head;
  heldBytes = head.length;
}

/** Appends `frame` to the socket's held first write; false when nothing is held for it (the caller writes it). */
export function addToFirstWrite(socket: Duplex, frame: Buffer): boolean {
  if (socket !== heldSocket) return false;
  heldFrames.push(frame);
  heldBytes += frame.length;
  if (heldBytes > MAX_HELD_BYTES) releaseFirstWrite();
  return true;
}

/** Writes what is held, if anything, as one buffer (dropped if the socket is gone). */
export function releaseFirstWrite(): void {
  const socket = heldSocket;
  if (socket === null) return;
  heldSocket = null;
  const bytes = Buffer.allocUnsafe(heldBytes);
  let at = bytes.write(heldHead, 0, "latin1");
  for (const frame of heldFrames) at += frame.copy(bytes, at);
  heldFrames.length = 0;
  heldHead = "";
  if (!socket.destroyed) socket.write(bytes);
}
