/**
 * The ack record's stored bytes: written out by hand (persistence/ack-record.ts), they must stay exactly what lib0's
 * `encodeAny({ clock, updates })` writes, the format older yparty versions, `yparty doctor` and y-leveldb's `getMeta` read.
 */
import * as buffer from "lib0/buffer";
import { describe, expect, it } from "vitest";
import { decodeLogEnd, encodeLogEnd } from "../../persistence/ack-record.js";

/** Each length of lib0's varInt (6 bits, then 7 a byte) at its edges, the float encodings past 2^31, and some between. */
const COUNTS = [0, 1, 63, 64, 8191, 8192, 2 ** 20 - 1, 2 ** 20, 2 ** 27 - 1, 2 ** 27, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 500, 123_456];

describe("the ack record's bytes", () => {
  it("are lib0's encodeAny of { clock, updates } for every size of count, and read back", () => {
    for (const clock of COUNTS) {
      for (const updates of COUNTS) {
        const written = encodeLogEnd({ clock, updates });
        expect([...written], `clock ${clock}, updates ${updates}`).toEqual([...buffer.encodeAny({ clock, updates })]);
        expect(decodeLogEnd(written)).toEqual({ clock, updates });
      }
    }
  });
});
