import type { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { LevelDocStore, LevelKvBackend, RoomKvStore, StorageError, type ByteDb } from "../../persistence/index.js";
import { decodeLogEnd } from "../../persistence/ack-record.js";
import { ackedKey, logRange, updateKey } from "../../persistence/doc-keys.js";
import type { BatchOp } from "../../persistence/byte-db.js";
import { gatedDb, reads, touches } from "./gated-db.js";
import { closeTempLevel, openTempLevel, textOf, textUpdate, withTimeout } from "./helpers.js";

/** The real LevelDB, counting range reads of whole entries: what reading a document's log state from disk costs. */
function countingEntryReads(level: Level<Uint8Array, Uint8Array>): { db: ByteDb; reads: () => number } {
  let reads = 0;
  const db: ByteDb = {
    batch: (ops, options) => level.batch(ops, options ?? {}),
    iterator: (range) => (reads++, level.iterator(range)),
    keys: (range) => level.keys(range),
    values: (range) => level.values(range),
  };
  return { db, reads: () => reads };
}

/** The real LevelDB, counting the reads that take the whole log of `name` (alone or with its other keys). */
function countingLogReads(level: Level<Uint8Array, Uint8Array>, name: string): { db: ByteDb; reads: () => number } {
  const log = Buffer.from(logRange(name).gte);
  const counting = countingEntryReads(level);
  let reads = 0;
  // A read of the log, alone or with the document's other keys (a load reads them all at once).
  const covers = (range: { gte?: Uint8Array; lt?: Uint8Array }): boolean =>
    range.gte !== undefined && Buffer.compare(range.gte, log) <= 0 && (range.lt === undefined || Buffer.compare(range.lt, log) > 0);
  const db: ByteDb = { ...counting.db, iterator: (range) => (covers(range) && reads++, counting.db.iterator(range)) };
  return { db, reads: () => reads };
}

/** Engines over a real LevelDB wrapped so single batches can be held or failed. */
const hex = (key: Uint8Array) => Buffer.from(key).toString("hex");

describe("LevelDB engine under slow and failing writes", () => {
  let dir: string;
  let level: Level<Uint8Array, Uint8Array>;
  beforeEach(async () => {
    ({ dir, level } = await openTempLevel());
  });
  afterEach(() => closeTempLevel(level, dir));

  function kvOf(db: ByteDb, room: string): RoomKvStore {
    return new RoomKvStore(room, dir, new LevelKvBackend(room, db, { location: dir, sync: false, isClosed: () => false }));
  }

  it("commits the appends of documents waiting together in one batch, each with the record of its log's end", async () => {
    const gate = gatedDb(level);
    const docs = new LevelDocStore(gate.db, { location: dir });
    const writerA = new Y.Doc();
    const writerB = new Y.Doc();
    await Promise.all([
      docs.append("room-a", textUpdate(writerA, "a1 ")),
      docs.append("room-b", textUpdate(writerB, "b1")),
      docs.append("room-a", textUpdate(writerA, "a2")),
    ]);
    expect(gate.batches).toHaveLength(1);
    const keysOf = (ops: BatchOp[]) => ops.map((op) => Buffer.from(op.key).toString("hex"));
    const written = keysOf(gate.batches[0]!);
    // room-a's two appends are one merged entry; each document's ack record is in the batch, saying where its log ends
    expect(written).toEqual(
      expect.arrayContaining([hex(updateKey("room-a", 0)), hex(updateKey("room-b", 0)), hex(ackedKey("room-a")), hex(ackedKey("room-b"))]),
    );
    expect(written).not.toContain(hex(updateKey("room-a", 1)));
    expect(decodeLogEnd(await level.get(ackedKey("room-a")))).toEqual({ clock: 0, updates: 1 });
    expect(decodeLogEnd(await level.get(ackedKey("room-b")))).toEqual({ clock: 0, updates: 1 });
    expect(textOf(await docs.load("room-a"))).toBe("a1 a2");
    expect(textOf(await docs.load("room-b"))).toBe("b1");
  });

  it("holds lazy appends of several documents for one batch, and lets an append that is not lazy end the wait", async () => {
    const gate = gatedDb(level);
    const docs = new LevelDocStore(gate.db, { location: dir, commitIntervalMs: 10_000 });
    const lazy = { lazy: true };
    await Promise.all(["room-a", "room-b"].map((name) => docs.append(name, textUpdate(new Y.Doc(), `${name} 1`), lazy)));
    const waiting = ["room-a", "room-b"].map((name) => docs.append(name, textUpdate(new Y.Doc(), `${name} 2`), lazy));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(gate.batches).toHaveLength(1); // within the interval, while both write: held
    await withTimeout(Promise.all([...waiting, docs.append("room-c", textUpdate(new Y.Doc(), "c"))]), 2_000, "the appends stored");
    expect(gate.batches).toHaveLength(2);
    const written = gate.batches[1]!.map((op) => hex(op.key));
    for (const name of ["room-a", "room-b", "room-c"]) expect(written).toContain(hex(ackedKey(name)));
  });

  it("keeps each document's order of entries when its appends share batches with another's", async () => {
    const gate = gatedDb(level);
    const docs = new LevelDocStore(gate.db, { location: dir, commitIntervalMs: 0 });
    const writerA = new Y.Doc();
    const writerB = new Y.Doc();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      pending.push(docs.append("room-a", textUpdate(writerA, `${i},`)));
      pending.push(docs.append("room-b", textUpdate(writerB, `${i},`)));
      if (i % 3 === 0) await pending.at(-1); // some batches hold a few appends, some one
    }
    await Promise.all(pending);
    expect(gate.batches.length).toBeGreaterThan(5);
    for (const name of ["room-a", "room-b"]) {
      // Each entry starts where the one before it ended: the log holds the appends in the order they were made.
      const entries = await level.values(logRange(name)).all();
      const ranges = entries.map((entry) => Y.parseUpdateMeta(entry));
      for (let i = 1; i < ranges.length; i++) {
        const [client] = ranges[i]!.from.keys();
        expect(ranges[i]!.from.get(client!)).toBe(ranges[i - 1]!.to.get(client!));
      }
    }
    expect(textOf(await docs.load("room-a"))).toBe(writerA.getText("t").toString());
  });

  it("fails only the document whose share of a batch cannot be built; the other's appends in it land", async () => {
    const gate = gatedDb(level);
    const docs = new LevelDocStore(gate.db, { location: dir });
    gate.failRead(reads("room-a"), new Error("I/O error (simulated)")); // reading room-a's log end, to number its entry
    const results = await Promise.allSettled([docs.append("room-a", textUpdate(new Y.Doc(), "a")), docs.append("room-b", textUpdate(new Y.Doc(), "b"))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
    expect(((results[0] as PromiseRejectedResult).reason as StorageError).message).toContain('"room-a"');
    expect(gate.batches).toHaveLength(1); // room-b went out in the batch room-a failed to join
    expect(textOf(await docs.load("room-b"))).toBe("b");
    await docs.append("room-a", textUpdate(new Y.Doc(), "again")); // a retry works
    expect(textOf(await docs.load("room-a"))).toBe("again");
  });

  it("lets room B and room A's own appends land while room A's compaction reads its log", async () => {
    const gate = gatedDb(level);
    const docs = new LevelDocStore(gate.db, { location: dir });
    const writerA = new Y.Doc();
    for (let i = 0; i < 10; i++) await docs.append("room-a", textUpdate(writerA, `${i}`));
    const held = gate.holdRead(reads("room-a"));
    const events: string[] = [];
    const compaction = docs.compact("room-a").then(() => events.push("a compacted"));
    await held.entered;
    await docs.append("room-a", textUpdate(writerA, "late"));
    events.push("a appended");
    await docs.append("room-b", textUpdate(new Y.Doc(), "b"));
    events.push("b appended");
    held.release();
    await compaction;
    expect(events).toEqual(["a appended", "b appended", "a compacted"]);
    expect(textOf(await docs.load("room-a"))).toBe(writerA.getText("t").toString());
    expect(await docs.stats("room-a")).toMatchObject({ updates: 2 }); // the snapshot, and the append it did not merge
  });

  it("lets room B's key-value writes through while room A's are held", async () => {
    const sublevel = level.sublevel<Uint8Array, Uint8Array>("kv", { keyEncoding: "view", valueEncoding: "view" });
    const gate = gatedDb(sublevel);
    const held = gate.hold(touches("room-a", "utf16be"));
    const events: string[] = [];
    const slowA = kvOf(gate.db, "room-a")
      .put("k", 1)
      .then(() => events.push("a put"));
    await held.entered;
    await kvOf(gate.db, "room-b").put("k", 2);
    events.push("b put");
    held.release();
    await slowA;
    expect(events).toEqual(["b put", "a put"]);
  });

  it("rejects an append the full disk refused with ERR_STORAGE_FULL naming the document and the folder, then carries on", async () => {
    const gate = gatedDb(level);
    const docs = new LevelDocStore(gate.db, { location: dir });
    const writer = new Y.Doc();
    await docs.append("main/doc", textUpdate(writer, "one "));
    gate.fail(touches("main/doc"), new Error("No space left on device (simulated)"));
    const lost = textUpdate(writer, "lost ");
    const error = await docs.append("main/doc", lost).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("ERR_STORAGE_FULL");
    expect((error as StorageError).message).toContain('"main/doc"');
    expect((error as StorageError).message).toContain(dir);
    expect((error as StorageError).message).toContain("No space left on device");

    await docs.append("main/doc", lost); // the caller retries
    await docs.append("main/doc", textUpdate(writer, "three"));
    expect(textOf(await docs.load("main/doc"))).toBe("one lost three");
    expect((await docs.stats("main/doc")).updates).toBe(3);
  });

  it("keeps the state of at most idleLogsKept idle documents; a dropped one is read again from disk and its log goes on", async () => {
    const { db, reads } = countingEntryReads(level);
    const docs = new LevelDocStore(db, { location: dir, idleLogsKept: 3 });
    const writers = Array.from({ length: 10 }, () => new Y.Doc());
    for (const round of ["a", "b"]) for (const [i, writer] of writers.entries()) await docs.append(`doc-${i}`, textUpdate(writer, round));
    expect(docs.logsKept).toBe(3);

    const before = reads();
    expect((await docs.stats("doc-9")).updates).toBe(2); // kept: known without a read
    expect(reads()).toBe(before);
    expect((await docs.stats("doc-0")).updates).toBe(2); // dropped: read again
    expect(reads()).toBe(before + 1);
    await docs.append("doc-0", textUpdate(writers[0]!, "c")); // continues after the clocks on disk, overwriting none
    expect(textOf(await docs.load("doc-0"))).toBe("abc");
    expect((await docs.stats("doc-0")).updates).toBe(3);
    expect(docs.logsKept).toBe(3);
  });

  it("loads a document right after telling whether it is stored with one read of its log (a GET of an unloaded room)", async () => {
    const writer = new Y.Doc();
    await new LevelDocStore(level, { location: dir }).append("main/doc", textUpdate(writer, "stored"));
    const { db, reads } = countingLogReads(level, "main/doc");
    const docs = new LevelDocStore(db, { location: dir });
    expect((await docs.stats("main/doc")).updates).toBe(1);
    expect(textOf(await docs.load("main/doc"))).toBe("stored");
    expect(reads()).toBe(1);
  });

  it("reads the log again for a load when a write came after the read that told whether it is stored", async () => {
    const writer = new Y.Doc();
    await new LevelDocStore(level, { location: dir }).append("main/doc", textUpdate(writer, "one "));
    const { db, reads } = countingLogReads(level, "main/doc");
    const docs = new LevelDocStore(db, { location: dir });
    expect((await docs.stats("main/doc")).updates).toBe(1);
    await docs.append("main/doc", textUpdate(writer, "two"));
    expect(textOf(await docs.load("main/doc"))).toBe("one two");
    expect(reads()).toBe(2);
  });

  it("keeps the state of a document a live room keeps, however many others are used, until it is released", async () => {
    const { db, reads } = countingEntryReads(level);
    const docs = new LevelDocStore(db, { location: dir, idleLogsKept: 2 });
    const live = new Y.Doc();
    docs.keep("main/live");
    await docs.append("main/live", textUpdate(live, "live"));
    for (let i = 0; i < 10; i++) await docs.append(`main/other-${i}`, textUpdate(new Y.Doc(), "x"));
    const before = reads();
    expect((await docs.stats("main/live")).updates).toBe(1);
    expect(reads()).toBe(before); // still known
    docs.release("main/live");
    for (let i = 0; i < 3; i++) await docs.append(`main/other-${i}`, textUpdate(new Y.Doc(), "y"));
    const afterRelease = reads();
    expect((await docs.stats("main/live")).updates).toBe(1);
    expect(reads()).toBe(afterRelease + 1); // dropped once released: read again
  });

  it("never drops the state of a document with corrupt entries, so compacting it with a given state keeps them", async () => {
    const writer = new Y.Doc();
    const before = new LevelDocStore(level, { location: dir });
    await before.append("main/bad", textUpdate(writer, "one "));
    await before.append("main/bad", textUpdate(writer, "two"));
    await level.put(updateKey("main/bad", 2), Uint8Array.of(0xff, 0xff, 0xff)); // damaged on disk, found by the next process
    const docs = new LevelDocStore(level, { location: dir, idleLogsKept: 1 });
    expect(textOf(await docs.load("main/bad"))).toBe("one two"); // finds the corrupt entry #2 and skips it
    for (let i = 0; i < 5; i++) await docs.append(`main/other-${i}`, textUpdate(new Y.Doc(), "x"));
    expect(docs.logsKept).toBe(1); // main/bad, the least recently used, is the one kept: it knows corrupt entries
    await docs.compact("main/bad", Y.encodeStateAsUpdate(writer));
    expect(Uint8Array.from((await level.get(updateKey("main/bad", 2)))!)).toEqual(Uint8Array.of(0xff, 0xff, 0xff));
    expect(textOf(await docs.load("main/bad"))).toBe("one two");
  });

  it("rejects a failed key-value write with ERR_STORAGE_WRITE naming the room and the folder", async () => {
    const gate = gatedDb(level.sublevel<Uint8Array, Uint8Array>("kv", { keyEncoding: "view", valueEncoding: "view" }));
    const kv = kvOf(gate.db, "main/room");
    gate.fail(() => true, new Error("I/O error (simulated)"));
    const error = await kv.transaction(async (txn) => txn.put({ a: 1, b: 2 })).catch((e: unknown) => e);
    expect((error as StorageError).code).toBe("ERR_STORAGE_WRITE");
    expect((error as StorageError).message).toContain('"main/room"');
    expect((error as StorageError).message).toContain(dir);
    expect(await kv.list()).toEqual(new Map());
  });
});
