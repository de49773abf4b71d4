/**
 * The invariant the key order rests on: the bytes `encodeKey` stores (LevelDB, PostgreSQL) order as `compareKeys`
 * (memory, transactions) does, which is the keys' UTF-8 byte order (Durable Objects') for well-formed strings; every
 * key, a lone surrogate too, comes back as it was; a format-1 key re-encoded decodes to the same string.
 */
import { describe, expect, it } from "vitest";
import { decodeKey, encodeKey, encodeString, reencodedKey } from "../../persistence/kv-codec.js";
import { compareKeys } from "../../persistence/kv-range.js";

const KEYS = ["", "a", "é", "\uD7FF", "\uD800", "\uDFFF", "x\uDC00y", "\uD83D\uDE00", "\uD83D\uDE00a", "\uE000", "\uFFFD", "\uFFFF", "\u{10000}", "\u{10FFFF}"];

/** No lone surrogate (UTF-8 cannot hold one). */
const wellFormed = (key: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(key);

describe("room.storage keys as stored", () => {
  it("round-trip, and order the same as bytes, as compareKeys, and (well-formed) as UTF-8", () => {
    for (const key of KEYS) {
      expect(decodeKey(encodeKey(key))).toBe(key);
      expect(decodeKey(reencodedKey(encodeString(key)) ?? encodeString(key))).toBe(key);
    }
    for (const a of KEYS) {
      for (const b of KEYS) {
        const order = Math.sign(compareKeys(a, b));
        expect(Math.sign(Buffer.compare(encodeKey(a), encodeKey(b))), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(order);
        if (wellFormed(a) && wellFormed(b)) expect(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)))).toBe(order);
      }
    }
  });
});
