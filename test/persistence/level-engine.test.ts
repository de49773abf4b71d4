import { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  LevelDocStore,
  LevelKvBackend,
  RoomKvStore,
  StorageError,
  type ByteDb,
} from "../../persistence/index.js";
import { updateKey } from "../../persistence/doc-keys.js";
import { gatedDb, touches } from "./gated-db.js";
import { makeTempDir, removeDir, textOf, textUpdate } from "./helpers.js";

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

/** Engines over a real LevelDB wrapped so single batches can be held or failed. */
describe("LevelDB engine under slow and failing writes", () => {
  let dir: string;
  let level: Level<Uint8Array, Uint8Array>;
  beforeEach(async () => {
    dir = await makeTempDir();
    level = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
    await level.open();
  });
  afterEach(async () => {
    await level.close();
    await removeDir(dir);
  });

  function kvOf(db: ByteDb, room: string): RoomKvStore {
    return new RoomKvStore(room, dir, new LevelKvBackend(room, db, { location: dir, sync: false, isClosed: () => false }));
  }

  it("lets room B append while room A's write is held", async () => {
    const gate = gatedDb(level);
    const docs = new LevelDocStore(gate.db, { location: dir });
    const held = gate.hold(touches("room-a"));
    const events: string[] = [];
    const slowA = docs.append("room-a", textUpdate(new Y.Doc(), "a")).then(() => events.push("a appended"));
    await held.entered;
    const writerB = new Y.Doc();
    for (let i = 0; i < 5; i++) {
      await docs.append("room-b", textUpdate(writerB, `${i}`));
      events.push(`b appended ${i}`);
    }
    held.release();
    await slowA;
    expect(events).toEqual(["b appended 0", "b appended 1", "b appended 2", "b appended 3", "b appended 4", "a appended"]);
    expect(textOf(await docs.load("room-a"))).toBe("a");
  });

  it("lets room B append while room A is being compacted, and keeps A's appends made meanwhile", async () => {
    const gate = gatedDb(level);
    const docs = new LevelDocStore(gate.db, { location: dir });
    const writerA = new Y.Doc();
    for (let i = 0; i < 10; i++) await docs.append("room-a", textUpdate(writerA, `${i}`));
    const held = gate.hold((ops) => touches("room-a")(ops) && ops.some((op) => op.type === "del"));
    const events: string[] = [];
    const compaction = docs.compact("room-a").then(() => events.push("a compacted"));
    await held.entered;
    const lateA = docs.append("room-a", textUpdate(writerA, "late")).then(() => events.push("a appended"));
    await docs.append("room-b", textUpdate(new Y.Doc(), "b"));
    events.push("b appended");
    held.release();
    await Promise.all([compaction, lateA]);
    expect(events).toEqual(["b appended", "a compacted", "a appended"]);
    expect(textOf(await docs.load("room-a"))).toBe(writerA.getText("t").toString());
    expect(await docs.stats("room-a")).toMatchObject({ updates: 2 });
  });

  it("lets room B's key-value writes through while room A's are held", async () => {
    const sublevel = level.sublevel<Uint8Array, Uint8Array>("kv", { keyEncoding: "view", valueEncoding: "view" });
    const gate = gatedDb(sublevel);
    const held = gate.hold(touches("room-a", "utf16be"));
    const events: string[] = [];
    const slowA = kvOf(gate.db, "room-a").put("k", 1).then(() => events.push("a put"));
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
