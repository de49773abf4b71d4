/**
 * A document batch in flight beside a write that failed is refused (write-guard.ts) though LevelDB took it into
 * memory; the reopen's replay may then drop it (it followed the torn record in the log). The document's next batch
 * must be built from the database as the reopen left it: built from what LevelDB held before (the dropped entry
 * counted), its acked record claims an entry that is gone, and the document is refused as damaged from then on
 * (ERR_DOCUMENT_DAMAGED until `yparty repair`), though nothing acknowledged was lost.
 */
import type { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { BatchOp } from "../../persistence/byte-db.js";
import { LevelDocStore } from "../../persistence/doc-level.js";
import { WriteGuard } from "../../persistence/write-guard.js";
import { gatedDb, touches } from "./gated-db.js";
import { closeTempLevel, openTempLevel } from "./helpers.js";

describe("a document batch refused beside a failed write, then dropped by the reopen's replay", () => {
  let dir: string;
  let level: Level<Uint8Array, Uint8Array>;
  beforeEach(async () => {
    ({ dir, level } = await openTempLevel());
  });
  afterEach(() => closeTempLevel(level, dir));

  it("leaves the document whole and not damaged once its updates are written again", async () => {
    const gate = gatedDb(level);
    const guard = new WriteGuard(level, dir, () => {});
    const docs = new LevelDocStore(guard.guard(gate.db), { location: dir, commitIntervalMs: 0, whenWritable: () => guard.ready() });
    const kv = guard.guard(gate.db);
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on("update", (update: Uint8Array) => updates.push(update));
    for (const key of ["a", "b", "c"]) doc.getMap("m").set(key, key);

    await docs.append("d", updates[0]!);
    const held = gate.hold(touches("room-key"));
    const failed = kv.batch([{ type: "put", key: Buffer.from("room-key"), value: Buffer.from("v") }], { sync: true });
    await held.entered;
    const beside = docs.append("d", updates[1]!); // lands in LevelDB while the room's write is under way
    await until(() => gate.batches.length === 2);
    held.release(new Error("IO error: No space left on device (simulated)"));
    await expect(failed).rejects.toThrow("simulated");
    await expect(beside).rejects.toThrow(/a write in flight beside it failed/);

    // The reopen's replay drops the refused batch, as it drops what follows a torn record.
    const [before, dropped] = gate.batches as [BatchOp[], BatchOp[]];
    const open = level.open.bind(level);
    level.open = (async (...args: Parameters<typeof open>) => {
      await open(...args);
      await level.batch(dropped.map((op) => before.find((earlier) => Buffer.compare(earlier.key, op.key) === 0) ?? { type: "del", key: op.key }));
    }) as typeof level.open;

    // The room writes the refused update again, with the next one.
    await Promise.all([docs.append("d", updates[1]!), docs.append("d", updates[2]!)]);
    const loaded = new Y.Doc();
    Y.applyUpdate(loaded, (await docs.load("d"))!);
    expect(loaded.getMap("m").toJSON()).toEqual({ a: "a", b: "b", c: "c" });
    await docs.close();
  });
});

async function until(done: () => boolean): Promise<void> {
  for (let turns = 0; !done(); turns++) {
    if (turns > 10_000) throw new Error("never happened");
    await new Promise((resolve) => setImmediate(resolve));
  }
}
