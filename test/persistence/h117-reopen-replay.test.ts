/**
 * A document batch in flight beside a write that failed is refused (write-guard.ts) though LevelDB took it into
 * memory; the reopen's replay may then drop it (it followed the torn record in the log). What was read of the document
 * before the reopen (its log's end, a load's entries) must not outlive it: a next batch built on the dropped entry's
 * count made its acked record claim an entry that is gone (the document refused as damaged, ERR_DOCUMENT_DAMAGED until
 * `yparty repair`), and a compaction begun by a load before the reopen deleted an acknowledged entry written after it
 * under the dropped entry's clock. Likewise a room's deleteAll listed its keys before the reopen brought one back.
 */
import type { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { BatchOp, ByteDb } from "../../persistence/byte-db.js";
import { LevelDocStore } from "../../persistence/doc-level.js";
import { LevelKvBackend } from "../../persistence/kv-level.js";
import { WriteGuard } from "../../persistence/write-guard.js";
import { gatedDb, touches } from "./gated-db.js";
import { closeTempLevel, openTempLevel } from "./helpers.js";

const KEYS = ["a", "b", "c", "d", "e"];

describe("a document batch refused beside a failed write, then dropped by the reopen's replay", () => {
  let dir: string;
  let level: Level<Uint8Array, Uint8Array>;
  beforeEach(async () => {
    ({ dir, level } = await openTempLevel());
  });
  afterEach(() => closeTempLevel(level, dir));

  /**
   * A room's write (`failing`, on `target`) fails while `beside` lands in LevelDB; `beside` is refused, and the next
   * reopen's replay drops it, as it drops what follows a torn record.
   */
  async function refuseBeside(gate: ReturnType<typeof gatedDb>, target: ByteDb, beside: () => Promise<unknown>): Promise<void> {
    const held = gate.hold(touches("failing"));
    const failed = target.batch([{ type: "put", key: Buffer.from("failing"), value: Buffer.from("v") }], { sync: true });
    await held.entered;
    const landed = gate.batches.length;
    const refused = beside(); // lands in LevelDB while the room's write is under way
    await until(() => gate.batches.length === landed + 1);
    held.release(new Error("IO error: No space left on device (simulated)"));
    await expect(failed).rejects.toThrow("simulated");
    await expect(refused).rejects.toThrow(/a write in flight beside it failed/);

    const dropped = gate.batches.at(-1)!;
    const before = gate.batches.slice(0, -1).flat();
    const open = level.open.bind(level);
    level.open = (async (...args: Parameters<typeof open>) => {
      await open(...args);
      await level.batch(dropped.map((op): BatchOp => before.findLast((earlier) => Buffer.compare(earlier.key, op.key) === 0) ?? { type: "del", key: op.key }));
    }) as typeof level.open;
  }

  /** Document "d" with `stored` updates written one by one, then the next refused beside a room's failed write. */
  async function refusedBeside(stored: number, compactOnLoadAbove?: number) {
    const gate = gatedDb(level);
    const guard = new WriteGuard(level, dir, () => {});
    const docs = new LevelDocStore(guard.guard(gate.db), {
      location: dir,
      commitIntervalMs: 0,
      whenWritable: () => guard.ready(),
      ...(compactOnLoadAbove === undefined ? {} : { compactOnLoadAbove }),
    });
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on("update", (update: Uint8Array) => updates.push(update));
    for (const key of KEYS) doc.getMap("m").set(key, key);
    for (const update of updates.slice(0, stored)) await docs.append("d", update);
    await refuseBeside(gate, guard.guard(gate.db), () => docs.append("d", updates[stored]!));
    return { docs, updates };
  }

  /** The document as a store opened afresh finds it. */
  async function storedContent(): Promise<unknown> {
    const docs = new LevelDocStore(level, { location: dir });
    const loaded = new Y.Doc();
    Y.applyUpdate(loaded, (await docs.load("d"))!);
    await docs.close();
    return loaded.getMap("m").toJSON();
  }

  it("leaves the document whole and not damaged once its updates are written again", async () => {
    const { docs, updates } = await refusedBeside(1);
    // The room writes the refused update again, with the next one.
    await Promise.all([docs.append("d", updates[1]!), docs.append("d", updates[2]!)]);
    await docs.close();
    expect(await storedContent()).toEqual({ a: "a", b: "b", c: "c" });
  });

  it("is not taken for damaged when a load before the reopen read the dropped entry", async () => {
    const { docs, updates } = await refusedBeside(1);
    await docs.load("d"); // a room loading the document meanwhile
    await Promise.all([docs.append("d", updates[1]!), docs.append("d", updates[2]!)]);
    await docs.close();
    expect(await storedContent()).toEqual({ a: "a", b: "b", c: "c" });
  });

  it("keeps what is written after the reopen when a load before it began a compaction", async () => {
    const { docs, updates } = await refusedBeside(3, 2);
    await docs.load("d"); // a room loading the document: a long log, compacted in the background
    await Promise.all([docs.append("d", updates[3]!), docs.append("d", updates[4]!)]);
    await docs.close(); // waits for the compaction
    expect(await storedContent()).toEqual({ a: "a", b: "b", c: "c", d: "d", e: "e" });
  });

  it("a room's deleteAll removes a key whose delete the reopen's replay dropped", async () => {
    const gate = gatedDb(level);
    const guard = new WriteGuard(level, dir, () => {});
    const target = guard.guard(gate.db);
    const kv = new LevelKvBackend("r", target, { location: dir, sync: true, isClosed: () => false, whenWritable: () => guard.ready() });
    await kv.write([{ type: "put", key: "k", value: Uint8Array.of(1) }]);
    await refuseBeside(gate, target, () => kv.write([{ type: "del", key: "k" }]));
    await kv.write([{ type: "clear" }]); // lists the room's keys: "k" looks deleted until the reopen brings it back
    await kv.write([{ type: "put", key: "after", value: Uint8Array.of(2) }]); // writes after the reopen, if not done yet
    expect(await kv.read("k")).toBeUndefined();
  });
});

async function until(done: () => boolean): Promise<void> {
  for (let turns = 0; !done(); turns++) {
    if (turns > 10_000) throw new Error("never happened");
    await new Promise((resolve) => setImmediate(resolve));
  }
}
