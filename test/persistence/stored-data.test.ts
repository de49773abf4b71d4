import { createHash } from "node:crypto";
import * as buffer from "lib0/buffer";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { keyEncoding, LeveldbPersistence } from "y-leveldb";
import * as Y from "yjs";
import { openStorage, StorageError, type Storage, type StorageWarning } from "../../persistence/index.js";
import { ackedKey, documentRange, indexKey, indexRange, nameOfIndexKey, sealKey, updateKey, updateKeyOf } from "../../persistence/doc-keys.js";
import { UPDATE_FORMAT_CHECK_VERSION } from "../../src/protocol/update-format.js";
import { encodeString, roomPrefix } from "../../persistence/kv-codec.js";
import { makeTempDir, removeDir, textOf, textUpdate, writeRaw } from "./helpers.js";

/** y-leveldb itself on the same folder, closed afterwards. */
async function withYLeveldb(dir: string, use: (theirs: LeveldbPersistence) => Promise<void>): Promise<void> {
  const theirs = new LeveldbPersistence(dir);
  try {
    await use(theirs);
  } finally {
    await theirs.destroy();
  }
}

/** An update from its own writer, so it does not depend on any other update (a skipped one included). */
function entryUpdate(key: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap("entries").set(key, true);
  return Y.encodeStateAsUpdate(doc);
}

function entriesOf(state: Uint8Array | null): string[] {
  const doc = new Y.Doc();
  if (state) Y.applyUpdate(doc, state);
  return [...doc.getMap("entries").keys()].sort();
}

describe("stored data that is corrupt, or written by y-leveldb", () => {
  let dir: string;
  let storage: Storage | null;
  let warnings: StorageWarning[];
  beforeEach(async () => {
    dir = await makeTempDir();
    storage = null;
    warnings = [];
  });
  afterEach(async () => {
    await storage?.close();
    await removeDir(dir);
  });

  async function open(): Promise<Storage> {
    storage = await openStorage({ dir, onWarning: (w) => warnings.push(w) });
    return storage;
  }

  async function close(): Promise<void> {
    await storage?.close();
    storage = null;
  }

  // A short log is merged with Y.mergeUpdates, a long one through a Y.Doc: both follow the rule.
  it.each([4, 100])("skips corrupt and truncated updates of a %i-entry log with a warning, and never deletes them", async (length) => {
    const docs = (await open()).docs;
    const keys = ["zero", "one", "two", "three", ...Array.from({ length: length - 4 }, (_, i) => `more ${i}`)];
    for (const key of keys) await docs.append("main/doc", entryUpdate(key));
    await close();
    const valid = textUpdate(new Y.Doc(), "never seen");
    await writeRaw(dir, async (db) => {
      await db.put(updateKey("main/doc", 1), Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]));
      await db.put(updateKey("main/doc", 3), valid.subarray(0, valid.length >> 1));
    });

    const reopened = (await open()).docs;
    const readable = keys.filter((key) => key !== "one" && key !== "three").sort();
    expect(entriesOf(await reopened.load("main/doc"))).toEqual(readable);
    expect(warnings.map((w) => [w.code, w.doc])).toEqual([
      ["ERR_STORAGE_CORRUPT", "main/doc"],
      ["ERR_STORAGE_CORRUPT", "main/doc"],
    ]);
    expect(warnings[0]!.message).toContain("#1");
    expect(warnings[1]!.message).toContain("#3");
    expect(warnings[0]!.message).toContain(dir);

    await reopened.compact("main/doc");
    expect(await reopened.stats("main/doc")).toMatchObject({ updates: 3 }); // the snapshot and the two kept entries
    await reopened.append("main/doc", entryUpdate("four"));
    expect(entriesOf(await reopened.load("main/doc"))).toEqual([...readable, "four"].sort());

    await reopened.delete("main/doc");
    expect(await reopened.load("main/doc")).toBeNull();
    expect(await reopened.stats("main/doc")).toEqual({ updates: 0, bytes: 0 });
  });

  it("compacts a long log in the background after loading it, keeping appends made meanwhile", async () => {
    const writer = new Y.Doc();
    const docs = (await open()).docs;
    for (let i = 0; i < 600; i++) await docs.append("main/long", textUpdate(writer, `${i},`)); // an entry each
    expect(textOf(await docs.load("main/long"))).toBe(writer.getText("t").toString());
    await docs.append("main/long", textUpdate(writer, "late"));
    await close(); // waits for the background compaction
    const reopened = (await open()).docs;
    expect(textOf(await reopened.load("main/long"))).toBe(writer.getText("t").toString());
    expect(await reopened.stats("main/long")).toMatchObject({ updates: 2 }); // the snapshot and the late append
    expect(warnings).toEqual([]);
  });

  // The first update was sealed; rewriting it leaves a seal whose digest no longer matches, so the bytes are checked.
  it("loads nothing, with a warning, when a document's only entry is corrupt; a seal vouches only for the bytes it names", async () => {
    const docs = (await open()).docs;
    await docs.append("main/only", textUpdate(new Y.Doc(), "x"));
    await close();
    const garbage = Uint8Array.from([1, 1, 9]);
    await writeRaw(dir, (db) => db.put(updateKey("main/only", 0), garbage));
    expect(await (await open()).docs.load("main/only")).toBeNull();
    expect(warnings.map((w) => w.code)).toEqual(["ERR_STORAGE_CORRUPT"]);
    expect(await storage!.docs.names()).toEqual(["main/only"]);
    await close();
    // A seal for another clock, or from another version of the check, vouches for nothing.
    const sha256 = createHash("sha256").update(garbage).digest();
    for (const stale of [
      { clock: 1, sha256, check: UPDATE_FORMAT_CHECK_VERSION },
      { clock: 0, sha256, check: UPDATE_FORMAT_CHECK_VERSION - 1 },
    ]) {
      await writeRaw(dir, (db) => db.put(sealKey("main/only"), buffer.encodeAny(stale)));
      expect(await (await open()).docs.load("main/only")).toBeNull();
      await close();
    }
    expect(warnings.map((w) => w.code)).toEqual(Array(3).fill("ERR_STORAGE_CORRUPT"));
    // A seal naming those very bytes is taken at its word: the load hands them on unchecked (the walk it saves).
    const seal = { clock: 0, sha256, check: UPDATE_FORMAT_CHECK_VERSION };
    await writeRaw(dir, (db) => db.put(sealKey("main/only"), buffer.encodeAny(seal)));
    expect(await (await open()).docs.load("main/only")).toEqual(garbage);
    expect(warnings).toHaveLength(3);
  });

  it("seals no first update that is not a well-formed Yjs update (the store's own API takes any bytes)", async () => {
    const docs = (await open()).docs;
    await docs.append("main/raw", Uint8Array.from([1, 1, 9]));
    await close();
    await withYLeveldb(dir, async (theirs) => expect(await theirs.getMeta("main/raw", "yparty:seal")).toBeUndefined());
    expect(await (await open()).docs.load("main/raw")).toBeNull();
    expect(warnings.map((w) => w.code)).toEqual(["ERR_STORAGE_CORRUPT"]);
  });

  it("seals a lone entry it checked (first update, compaction), in y-leveldb's metadata, deleted with the document", async () => {
    const docs = (await open()).docs;
    const writer = new Y.Doc();
    await docs.append("main/sealed", textUpdate(writer, "first"));
    for (const text of [" second", " third"]) await docs.append("main/sealed", textUpdate(writer, text));
    await docs.compact("main/sealed");
    await close();

    await withYLeveldb(dir, async (theirs) => {
      const seal = (await theirs.getMeta("main/sealed", "yparty:seal")) as { clock: number; sha256: Uint8Array };
      expect(seal.clock).toBe(3); // the snapshot written after entries 0-2
      expect(seal.sha256).toHaveLength(32);
      expect((await theirs.getYDoc("main/sealed")).getText("t").toString()).toBe("first second third");
    });
    const reopened = (await open()).docs;
    expect(textOf(await reopened.load("main/sealed"))).toBe("first second third");
    await reopened.delete("main/sealed");
    await close();
    await withYLeveldb(dir, async (theirs) => expect(await theirs.getMeta("main/sealed", "yparty:seal")).toBeUndefined());
  });

  it("refuses a corrupt key-value entry with ERR_STORAGE_CORRUPT until it is overwritten", async () => {
    await (await open()).kv("main/room").put({ good: 1, bad: 2 });
    await close();
    await writeRaw(dir, async (db) => {
      const kv = db.sublevel<Uint8Array, Uint8Array>("kv", { keyEncoding: "view", valueEncoding: "view" });
      await kv.put(Buffer.concat([roomPrefix("main/room"), encodeString("bad")]), Uint8Array.from([0xff, 0x0f, 0x6f]));
    });
    const kv = (await open()).kv("main/room");
    expect(await kv.get("good")).toBe(1);
    // One read at a time: a second promise made up front would reject unobserved while the first is awaited.
    for (const read of [() => kv.get("bad"), () => kv.list()]) {
      const error = await read().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).code).toBe("ERR_STORAGE_CORRUPT");
      expect((error as StorageError).message).toContain('"bad"');
      expect((error as StorageError).message).toContain('"main/room"');
    }
    await kv.put("bad", "fixed");
    expect(await kv.list()).toEqual(
      new Map<string, unknown>([
        ["bad", "fixed"],
        ["good", 1],
      ]),
    );
  });

  it("encodes a document's log keys as y-leveldb does, whatever the clock", () => {
    for (const name of ["main/a", "chat/é😀", ""]) {
      const keyOf = updateKeyOf(name);
      for (const clock of [0, 1, 255, 256, 65_535, 2 ** 24 + 7, 2 ** 32 - 2]) expect(keyOf(clock)).toEqual(updateKey(name, clock));
    }
  });

  it("encodes every key as y-leveldb's own key encoding does, and reads its index keys back", () => {
    const theirs = (parts: Array<string | number>) => new Uint8Array(keyEncoding.encode(parts));
    for (const name of ["main/a", "chat/é😀", "", "x".repeat(300)]) {
      for (const clock of [0, 1, 2 ** 31, 2 ** 32 - 2]) expect(updateKey(name, clock)).toEqual(theirs(["v1", name, "update", clock]));
      expect(sealKey(name)).toEqual(theirs(["v1", name, "meta", "yparty:seal"]));
      expect(ackedKey(name)).toEqual(theirs(["v1", name, "meta", "yparty:acked"]));
      expect(documentRange(name)).toEqual({ gte: theirs(["v1", name]), lt: theirs(["v1", name, "zzzzzzz"]) });
      expect(indexKey(name)).toEqual(theirs(["v1_sv", name]));
      expect(nameOfIndexKey(theirs(["v1_sv", name]))).toBe(name);
    }
    expect(indexRange).toEqual({ gte: theirs(["v1_sv"]), lt: theirs(["v1_sw"]) });
  });

  it("writes documents y-leveldb can read", async () => {
    const docs = (await open()).docs;
    const writer = new Y.Doc();
    for (const text of ["written ", "by ", "yparty"]) await docs.append("main/shared", textUpdate(writer, text));
    await docs.compact("main/shared");
    await docs.append("main/shared", textUpdate(writer, "!"));
    await close();

    await withYLeveldb(dir, async (theirs) => {
      expect(await theirs.getAllDocNames()).toEqual(["main/shared"]);
      expect((await theirs.getYDoc("main/shared")).getText("t").toString()).toBe("written by yparty!");
    });
  });

  it("reads documents y-leveldb wrote", async () => {
    const theirs = new LeveldbPersistence(dir);
    const writer = new Y.Doc();
    for (const text of ["written ", "by ", "y-leveldb"]) await theirs.storeUpdate("room-1", textUpdate(writer, text));
    await theirs.destroy();

    const docs = (await open()).docs;
    expect(await docs.names()).toEqual(["room-1"]);
    expect(textOf(await docs.load("room-1"))).toBe("written by y-leveldb");
    await docs.append("room-1", textUpdate(writer, "!"));
    expect(textOf(await docs.load("room-1"))).toBe("written by y-leveldb!");
    expect(await docs.stats("room-1")).toMatchObject({ updates: 4 });
  });
});
