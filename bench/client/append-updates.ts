/**
 * Real Yjs updates for "client C types `s` at the end of its own text", encoded directly (update format v1)
 * instead of through a Y.Doc. Yjs costs ~30 µs per insert in the harness process; this costs ~1 µs, so the
 * client side never limits a throughput figure. The bytes equal what Yjs emits for the same insert
 * (checked in test/bench/append-updates.test.ts).
 *
 * Layout: [1 client][1 struct][client][clock] info [origin | parent key] content, then an empty delete set.
 */
import * as encoding from "lib0/encoding";
import { TEXT_NAME } from "../limits.js";

/** Item info bits (yjs/src/structs/Item.js): content ref 4 = ContentString, BIT8 = has a left origin. */
const CONTENT_STRING = 4;
const HAS_ORIGIN = 0x80;

/** One typist: every `next(text)` is a valid update that appends `text` after the previous one. */
export class AppendTypist {
  private clock = 0;

  constructor(
    readonly clientId: number,
    private readonly textName: string = TEXT_NAME,
    /** The unit the first insert follows (by default it has no origin: the start of the text). */
    private readonly after?: { client: number; clock: number },
  ) {}

  /** ASCII only: the clock advances by UTF-16 units, which equal bytes for ASCII. */
  next(text: string): Uint8Array {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 1);
    encoding.writeVarUint(encoder, 1);
    encoding.writeVarUint(encoder, this.clientId);
    encoding.writeVarUint(encoder, this.clock);
    if (this.clock === 0 && this.after !== undefined) {
      encoding.writeUint8(encoder, CONTENT_STRING | HAS_ORIGIN);
      encoding.writeVarUint(encoder, this.after.client);
      encoding.writeVarUint(encoder, this.after.clock);
    } else if (this.clock === 0) {
      // First item: no origin, its parent is the root type named by key.
      encoding.writeUint8(encoder, CONTENT_STRING);
      encoding.writeVarUint(encoder, 1);
      encoding.writeVarString(encoder, this.textName);
    } else {
      encoding.writeUint8(encoder, CONTENT_STRING | HAS_ORIGIN);
      encoding.writeVarUint(encoder, this.clientId);
      encoding.writeVarUint(encoder, this.clock - 1);
    }
    encoding.writeVarString(encoder, text);
    encoding.writeVarUint(encoder, 0);
    this.clock += text.length;
    return encoding.toUint8Array(encoder);
  }
}
