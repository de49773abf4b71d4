/**
 * The records that tell a damaged document (persistence/ack-record.ts, ack-journal.ts), in one process: entries gone
 * from the middle of a log, a lost tail only the ack journal saw, y-leveldb rewriting a document (not damage), and
 * the journal's own file (rewritten shorter, a torn line ignored). The same through a killed server and damaged
 * files: damaged-storage.test.ts.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LeveldbPersistence } from "y-leveldb";
import * as Y from "yjs";
import { ACK_JOURNAL_FILE, AckJournal, readJournal } from "../../persistence/ack-journal.js";
import { ackedRecordOp } from "../../persistence/ack-record.js";
import { updateKey } from "../../persistence/doc-keys.js";
import { checkFolder, LevelDocStore, openStorage, repairFolder, StorageError, type ByteDb, type StorageWarning } from "../../persistence/index.js";
import { closeTempLevel, makeTempDir, openTempLevel, removeDir, textOf, textUpdate, writeRaw } from "./helpers.js";

describe("damage records", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map(removeDir));
  });

  async function tempDir(): Promise<string> {
    const dir = await makeTempDir();
    dirs.push(dir);
    return dir;
  }

  /** Stores "0 1 2 … " in `name`, one append each, and closes. */
  async function storeWords(dir: string, name: string, count: number): Promise<void> {
    const storage = await openStorage({ dir });
    const writer = new Y.Doc();
    for (let i = 0; i < count; i++) await storage.docs.append(name, textUpdate(writer, `${i} `));
    await storage.close();
  }

  it("refuses a document whose log lost entries from the middle, until repair accepts what is left", async () => {
    const dir = await tempDir();
    await storeWords(dir, "main/doc", 5);
    await storeWords(dir, "main/other", 2);
    await writeRaw(dir, (db) => db.del(updateKey("main/doc", 2)));

    const warnings: StorageWarning[] = [];
    const storage = await openStorage({ dir, onWarning: (w) => warnings.push(w) });
    const error = await storage.docs.load("main/doc").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("ERR_DOCUMENT_DAMAGED");
    expect((error as StorageError).message).toContain("1 acknowledged log entry is missing");
    expect(textOf(await storage.docs.load("main/other"))).toBe("0 1 ");
    await storage.close();

    const report = await checkFolder(dir);
    expect(report.findings.map((f) => [f.name, f.damage?.missing])).toEqual([["main/doc", 1]]);
    const repaired = await repairFolder(dir);
    expect(repaired.accepted.map((f) => f.name)).toEqual(["main/doc"]);
    expect(repaired.after.findings).toEqual([]);
    const after = await openStorage({ dir });
    expect(textOf(await after.docs.load("main/doc"))).toBe("0 1 "); // what follows the lost entry stays pending in Yjs
    await after.close();
  });

  it("refuses a document whose newest batches are gone, as the ack journal witnessed, and says so when opening", async () => {
    const dir = await tempDir();
    await storeWords(dir, "main/doc", 4);
    // The newest batch gone with its record, as a truncated write-ahead log leaves it: the record says 2 (of 0..2).
    await writeRaw(dir, (db) => db.batch([{ type: "del", key: updateKey("main/doc", 3) }, ackedRecordOp("main/doc", { clock: 2, updates: 3 })]));
    const warnings: StorageWarning[] = [];
    const storage = await openStorage({ dir, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([expect.objectContaining({ code: "ERR_DOCUMENT_DAMAGED", level: "error", doc: "main/doc" })]);
    expect(warnings[0]!.message).toContain("its 1 newest acknowledged write(s) are missing");
    await expect(storage.docs.load("main/doc")).rejects.toMatchObject({ code: "ERR_DOCUMENT_DAMAGED" });
    await storage.close();

    // The journal started afresh; the mark written at open keeps refusing it.
    const again = await openStorage({ dir });
    await expect(again.docs.load("main/doc")).rejects.toMatchObject({ code: "ERR_DOCUMENT_DAMAGED" });
    await again.close();
  });

  it("keeps a document whose whole log was lost known, so it answers damaged rather than never written", async () => {
    const dir = await tempDir();
    await storeWords(dir, "main/doc", 2);
    // Everything LevelDB held is gone (log, index entry, records), as when the whole write-ahead log is lost.
    await writeRaw(dir, (db) => db.clear());
    const storage = await openStorage({ dir, onWarning: () => {} });
    expect(await storage.docs.stats("main/doc")).toEqual({ updates: 0, bytes: 0, damaged: true });
    expect(await storage.docs.stats("main/never")).toEqual({ updates: 0, bytes: 0 });
    await expect(storage.docs.load("main/doc")).rejects.toMatchObject({ code: "ERR_DOCUMENT_DAMAGED" });
    expect(await storage.docs.stats("main/doc")).toEqual({ updates: 0, bytes: 0, damaged: true }); // after a refused load too
    await storage.close();
  });

  it("reads a never-written document once when a room opens it (log and records together): the load's check serves its stats", async () => {
    const { dir, level } = await openTempLevel();
    try {
      let rangeReads = 0;
      const counted: ByteDb = {
        batch: (ops, options) => level.batch(ops, options ?? {}),
        iterator: (range) => (rangeReads++, level.iterator(range)),
        keys: (range) => (rangeReads++, level.keys(range)),
        values: (range) => (rangeReads++, level.values(range)),
      };
      const docs = new LevelDocStore(counted, { location: dir });
      expect(await docs.load("main/new")).toBeNull(); // a room opening: load, then its size
      expect(await docs.stats("main/new")).toEqual({ updates: 0, bytes: 0 });
      expect(rangeReads).toBe(1); // the log and the records, in one read of the document's keys
      expect(await docs.stats("main/unloaded")).toEqual({ updates: 0, bytes: 0 });
      expect(rangeReads).toBe(3); // not loaded: its log, and its records checked for a lost log
    } finally {
      await closeTempLevel(level, dir);
    }
  });

  it("takes a document y-leveldb rewrote (flushDocument) as it is, not as damaged", async () => {
    const dir = await tempDir();
    await storeWords(dir, "main/doc", 3);
    const theirs = new LeveldbPersistence(dir);
    try {
      await theirs.flushDocument("main/doc");
    } finally {
      await theirs.destroy();
    }
    const storage = await openStorage({ dir });
    expect(textOf(await storage.docs.load("main/doc"))).toBe("0 1 2 ");
    await storage.close();
  });

  it("keeps the journal short and ignores a torn line", async () => {
    const dir = await tempDir();
    const journal = new AckJournal(dir, (error) => expect.fail(String(error)), 300);
    for (let clock = 0; clock < 200; clock++) journal.note(`main/doc-${clock % 3}`, { clock, updates: clock + 1 });
    journal.note("main/gone", { clock: 0, updates: 1 });
    journal.note("main/gone", null);
    journal.close();
    expect((await fs.stat(path.join(dir, ACK_JOURNAL_FILE))).size).toBeLessThan(600);
    await fs.appendFile(path.join(dir, ACK_JOURNAL_FILE), '["main/doc-0",999');
    expect([...(await readJournal(dir))]).toEqual([
      ["main/doc-0", { clock: 198, updates: 199 }],
      ["main/doc-1", { clock: 199, updates: 200 }],
      ["main/doc-2", { clock: 197, updates: 198 }],
      ["main/gone", null],
    ]);
  });
});
