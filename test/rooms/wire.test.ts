import { describe, expect, it } from "vitest";
import { applyPatch, canonicalJson, clone, crc32, diff, stateChecksum } from "../../src/rooms/wire/index.js";

/** Python: "%08x" % zlib.crc32(b'{"count":0}') */
const ZLIB_COUNT_0 = "c3c053e8";

describe("rooms wire: RFC 8785 canonical JSON and CRC-32", () => {
  it("sorts keys by UTF-16 code units and writes numbers as ECMAScript does (RFC 8785 §3.2.3 and Appendix B vectors)", () => {
    // The sorting example of RFC 8785 §3.2.3 (keys in UTF-16 order: "\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33").
    const sorting = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    expect(canonicalJson(sorting)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    // Appendix B numbers.
    // biome-ignore lint/correctness/noPrecisionLoss: RFC 8785's own example numbers, precision loss included
    expect(canonicalJson([1e21, 1e-7, 0.000001, -0, 333333333.33333329, 9007199254740992, 4.5, 2e-3])).toBe(
      "[1e+21,1e-7,0.000001,0,333333333.3333333,9007199254740992,4.5,0.002]",
    );
    expect(canonicalJson({ b: [true, null, "\u2028\n"], a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":[true,null,"\u2028\\n"]}');
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/no JSON form/);
  });

  it("CRC-32 is the IEEE one (check value of 123456789 is cbf43926) and the checksum is 8 lowercase hex digits", () => {
    expect(crc32(new TextEncoder().encode("123456789")).toString(16)).toBe("cbf43926");
    expect(stateChecksum({})).toBe("a3a6bf43"); // zlib.crc32(b"{}") in Python
    expect(stateChecksum({ count: 0 })).toBe(ZLIB_COUNT_0);
    expect(stateChecksum({ b: 1, a: 2 })).toBe(stateChecksum({ a: 2, b: 1 }));
    expect(stateChecksum("")).toMatch(/^[0-9a-f]{8}$/);
  });
});

describe("rooms wire: RFC 6902 JSON Patch", () => {
  it("diff then apply gives the target, for random JSON changes", () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.3) return r < 0.1 ? null : r < 0.2 ? Math.floor(random() * 100) : `s${Math.floor(random() * 5)}`;
      if (r < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 4) }, () => [["a", "b/c", "d~e", "__proto__"][Math.floor(random() * 4)]!, value(depth + 1)]),
      );
    };
    for (let i = 0; i < 500; i++) {
      const before = value(0);
      const after = value(0);
      const ops = diff(before, after);
      expect(applyPatch(clone(before), ops)).toEqual(after);
      expect(stateChecksum(applyPatch(clone(before), ops))).toBe(stateChecksum(after));
    }
  });

  it("applies the RFC's ops (add to an array with -, move, copy, test) and refuses bad pointers", () => {
    const doc = { list: [1, 2], obj: { a: 1 } };
    const result = applyPatch(clone(doc), [
      { op: "add", path: "/list/-", value: 3 },
      { op: "move", from: "/obj/a", path: "/moved" },
      { op: "copy", from: "/list", path: "/copy" },
      { op: "test", path: "/moved", value: 1 },
    ]);
    expect(result).toEqual({ list: [1, 2, 3], obj: {}, moved: 1, copy: [1, 2, 3] });
    expect(() => applyPatch(clone(doc), [{ op: "remove", path: "/nope" }])).toThrow(/does not exist/);
    expect(() => applyPatch(clone(doc), [{ op: "test", path: "/list/0", value: 9 }])).toThrow(/test failed/);
  });
});
