import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeUpdateStateVector, readUpdateShape, updateFormatError } from "../../src/protocol/update-format.js";
import { loadTrace, seededRandom, typeTransactions } from "../yjs/support/trace.js";

/** What Yjs itself says: the reference the walker must agree with. */
function yjsDecodes(update: Uint8Array): boolean {
  try {
    Y.decodeUpdate(update);
    return true;
  } catch {
    return false;
  }
}

/** One update per transaction of a shared editing trace, as a live editor sends them. */
function traceUpdates(name: string, limit: number): Uint8Array[] {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  typeTransactions(doc.getText("text"), loadTrace(name).txns.slice(0, limit));
  updates.push(Y.encodeStateAsUpdate(doc));
  return updates;
}

/** A document with every kind of struct and content Yjs writes: the corpus's odd corners. */
function everyContentKind(): Uint8Array[] {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  const text = doc.getText("rich");
  text.insert(0, "héllo 🌍 world", { bold: true });
  text.insertEmbed(3, { image: "x.png" });
  text.format(1, 4, { italic: null, color: "#f00" });
  text.delete(2, 3);
  const map = doc.getMap("values");
  map.set("numbers", [0, -1, 63, -64, 2 ** 31, -(2 ** 40), 1.5, Number.MAX_SAFE_INTEGER]);
  map.set("big", 12345678901234567890n as unknown as number);
  map.set("misc", { a: null, b: true, c: false, d: "s", e: new Uint8Array([1, 2, 3]), f: [[], {}] });
  map.set("missing", undefined as unknown as number);
  map.set("nested", new Y.Map([["inner", new Y.Array()]]));
  map.delete("misc");
  const array = doc.getArray("array");
  array.insert(0, [new Uint8Array([9, 9]), "x", 1, new Y.Text("t")]);
  array.push([new Y.Doc({ meta: { kind: "sub" } })]);
  const xml = doc.getXmlFragment("xml");
  const element = new Y.XmlElement("p");
  element.setAttribute("class", "c");
  element.insert(0, [new Y.XmlText("in xml"), new Y.XmlHook("hook") as unknown as Y.XmlElement]);
  xml.insert(0, [element]);
  updates.push(Y.encodeStateAsUpdate(doc));
  // A merge of non-adjacent updates carries a Skip struct where the gap is.
  updates.push(Y.mergeUpdates([updates[0]!, updates[2]!]));
  updates.push(legacyJsonContent());
  return updates;
}

/** ContentJSON (written by old Yjs versions only): one struct in root array "a" holding `1` and `undefined`. */
function legacyJsonContent(): Uint8Array {
  const encoder = encoding.createEncoder();
  for (const n of [1, 1, 7, 0]) encoding.writeVarUint(encoder, n); // 1 client, 1 struct, client 7, clock 0
  encoding.writeUint8(encoder, 2); // info: ContentJSON, no origins
  encoding.writeVarUint(encoder, 1); // parent is a root type
  encoding.writeVarString(encoder, "a");
  encoding.writeVarUint(encoder, 2);
  encoding.writeVarString(encoder, "1");
  encoding.writeVarString(encoder, "undefined");
  encoding.writeVarUint(encoder, 0); // empty delete set
  return encoding.toUint8Array(encoder);
}

/** Truncations, byte flips, inserted and dropped bytes: the damage disks and buggy clients do. */
function damaged(update: Uint8Array, random: () => number, count: number): Uint8Array[] {
  const variants: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = Math.floor(random() * update.length);
    const kind = i % 4;
    if (kind === 0) variants.push(update.slice(0, at));
    else if (kind === 1) {
      const copy = update.slice();
      copy[at] = Math.floor(random() * 256);
      variants.push(copy);
    } else if (kind === 2) variants.push(Uint8Array.from([...update.subarray(0, at), Math.floor(random() * 256), ...update.subarray(at)]));
    else variants.push(Uint8Array.from([...update.subarray(0, at), ...update.subarray(at + 1)]));
  }
  return variants;
}

/** Refusals of updates `Y.decodeUpdate` reads but that Yjs never writes and would throw on half-way through applying. */
const INTEGRITY_REASONS = ["a struct refers to itself", "client ", "a struct of length 0", "a deleted range of length 0"];

describe("updateFormatError", () => {
  const corpus = [...everyContentKind(), ...traceUpdates("sveltecomponent", 400), ...traceUpdates("clownschool", 200)];

  it("accepts every update Yjs writes, of every struct and content kind", () => {
    for (const update of corpus) expect(updateFormatError(update)).toBeUndefined();
    expect(updateFormatError(Y.encodeStateAsUpdate(new Y.Doc()))).toBeUndefined();
  });

  it("says where every update Yjs writes ends: its last byte, so bytes after it can be refused (src/yjs/validate.ts)", () => {
    for (const update of corpus) {
      expect(readUpdateShape(update)).toMatchObject({ end: update.byteLength });
      expect(readUpdateShape(Uint8Array.of(...update, 0, 0))).toMatchObject({ end: update.byteLength });
    }
  });

  it("agrees with Y.decodeUpdate on thousands of damaged updates, refusing besides only what Yjs cannot apply", () => {
    const random = seededRandom(7);
    let refused = 0;
    for (const update of corpus.filter((_, i) => i % 7 === 0)) {
      for (const variant of damaged(update, random, 12)) {
        const reason = updateFormatError(variant);
        // Refused by the walk but read by Yjs: only for what Yjs never writes and throws on when applying.
        const verdict = reason === undefined ? "accepted" : INTEGRITY_REASONS.some((r) => reason.startsWith(r)) ? "either" : "refused";
        const decodes = yjsDecodes(variant);
        expect({ bytes: [...variant], verdict }).toEqual({ bytes: [...variant], verdict: verdict === "either" ? "either" : decodes ? "accepted" : "refused" });
        if (reason !== undefined) refused++;
      }
    }
    expect(refused).toBeGreaterThan(500); // the damage is real: most variants are not updates any more
  });

  it("names what is wrong", () => {
    const update = corpus[0]!;
    expect(updateFormatError(update.subarray(0, update.length - 1))).toBe("the update ends early");
    expect(updateFormatError(Uint8Array.of(1, 1, 7, 0, 0x9f, 1, 0))).toBe("unknown content ref 31");
    expect(updateFormatError(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f))).toBe("an integer is out of range");
    expect(updateFormatError(new Uint8Array())).toBe("the update ends early");
  });

  // Yjs keeps only the last list of a client listed twice, silently: an update no Yjs writes, refused.
  it("refuses a client listed twice, wherever the lists stand, and takes clients out of Yjs's order listed once", () => {
    /** An update of one GC of length 1 per list, for these clients in this order. */
    const lists = (...clients: number[]) => {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, clients.length);
      for (const client of clients) {
        for (const value of [1, client, 0, 0, 1]) encoding.writeVarUint(encoder, value); // one struct at clock 0: a GC of 1
      }
      encoding.writeVarUint(encoder, 0); // no deleted ranges
      return encoding.toUint8Array(encoder);
    };
    for (const clients of [
      [5, 5],
      [9, 5, 7, 5],
      [3, 9, 3],
      [9, 7, 5, 3, 1, 8, 9],
    ]) {
      expect(updateFormatError(lists(...clients)), String(clients)).toMatch(/^client [359] is listed twice$/);
    }
    for (const clients of [
      [9, 7, 5],
      [5, 7, 9],
      [9, 5, 7, 3],
    ]) {
      expect(updateFormatError(lists(...clients)), String(clients)).toBeUndefined();
      expect(yjsDecodes(lists(...clients))).toBe(true);
    }
  });

  // Damage that flips bytes never builds these; hostile input does. lib0 turns ~150 continuation bytes into NaN.
  it("refuses integers lib0 would read as NaN, wherever they stand, and returns at once", () => {
    const nan = [...Array<number>(150).fill(0x80), 0];
    const asStringLength = Uint8Array.from([1, 1, 1, 0, 4, 1, ...nan, 0]);
    const asTypeRef = Uint8Array.from([1, 1, 1, 0, 7, 1, 1, 0x61, ...nan, 0]);
    const asStructCount = Uint8Array.from([1, ...nan, 1, 0, 0]);
    for (const update of [asStringLength, asTypeRef]) {
      expect(yjsDecodes(update)).toBe(false);
      expect(updateFormatError(update)).toBe("an integer is out of range");
    }
    expect(updateFormatError(asStructCount)).toBe("an integer is out of range");
  });

  it("refuses values nested deeper than 1000 levels, well before lib0's recursive reader runs out of stack", () => {
    const nested = (depth: number) =>
      Uint8Array.from([
        1,
        1,
        1,
        0,
        8,
        1,
        1,
        0x61,
        1,
        ...Array<number>(depth)
          .fill(0)
          .flatMap(() => [117, 1]),
        126,
        0,
      ]);
    expect(updateFormatError(nested(1000))).toBeUndefined();
    expect(yjsDecodes(nested(1000))).toBe(true);
    expect(updateFormatError(nested(1001))).toBe("a value nested deeper than 1000 levels");
    expect(updateFormatError(nested(100_000))).toBe("a value nested deeper than 1000 levels");
    expect(yjsDecodes(nested(100_000))).toBe(false);
  });

  it("refuses a subdocument without options, as Yjs does", () => {
    const encoder = encoding.createEncoder();
    for (const n of [1, 1, 7, 0]) encoding.writeVarUint(encoder, n);
    encoding.writeUint8(encoder, 9); // ContentDoc
    encoding.writeVarUint(encoder, 1);
    encoding.writeVarString(encoder, "a");
    encoding.writeVarString(encoder, "guid");
    encoding.writeUint8(encoder, 126); // null options
    encoding.writeVarUint(encoder, 0);
    const update = encoding.toUint8Array(encoder);
    expect(yjsDecodes(update)).toBe(false);
    expect(updateFormatError(update)).toBe("subdocument without options");
  });
});

describe("encodeUpdateStateVector", () => {
  const yjsStateVector = (update: Uint8Array) => Y.decodeStateVector(Y.encodeStateVectorFromUpdate(update));
  const ours = (update: Uint8Array) => {
    const encoded = encodeUpdateStateVector(update);
    if (typeof encoded === "string") throw new Error(encoded);
    return Y.decodeStateVector(encoded);
  };

  it("is Yjs's state vector of the update: whole documents, diffs that start past 0, merges with gaps (skips)", () => {
    const random = seededRandom(7);
    const docs = [1, 2, 3].map((client) => {
      const doc = new Y.Doc();
      doc.clientID = client;
      return doc;
    });
    const updates: Uint8Array[] = [];
    for (let round = 0; round < 60; round++) {
      const doc = docs[Math.floor(random() * docs.length)]!;
      const before = Y.encodeStateVector(doc);
      doc.transact(() => {
        doc.getText("t").insert(Math.floor(random() * (doc.getText("t").length + 1)), "ab");
        if (random() < 0.3) doc.getMap("m").set(`k${round}`, round);
        if (random() < 0.2 && doc.getText("t").length > 2) doc.getText("t").delete(0, 1);
      });
      updates.push(Y.encodeStateAsUpdate(doc, before)); // starts past 0 after the first
      const other = docs[Math.floor(random() * docs.length)]!;
      Y.applyUpdate(other, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(other)));
    }
    const cases = [
      ...updates,
      ...docs.map((doc) => Y.encodeStateAsUpdate(doc)),
      Y.mergeUpdates(updates.filter((_, i) => i % 3 !== 1)), // gaps in clients' clocks: skips
      Y.mergeUpdates(updates.slice(10, 30)),
      Y.encodeStateAsUpdate(new Y.Doc()),
    ];
    let withSkips = 0;
    for (const update of cases) {
      if (Y.decodeUpdate(update).structs.some((struct) => struct.constructor.name === "Skip")) withSkips++;
      expect(ours(update)).toEqual(yjsStateVector(update));
    }
    expect(withSkips).toBeGreaterThan(0);
  });

  it("says why a malformed update is not one", () => {
    expect(typeof encodeUpdateStateVector(Uint8Array.of(1, 1))).toBe("string");
  });
});
