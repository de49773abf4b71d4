/**
 * A batch refused beside a failed LevelDB write (write-guard.ts) that LevelDB took into memory all the same, and that
 * the next reopen's replay drops (as it drops what follows a torn record in its log): the set-up of the reopen tests.
 */
import type { Level } from "level";
import { expect } from "vitest";
import * as Y from "yjs";
import type { BatchOp, ByteDb } from "../../persistence/byte-db.js";
import { LevelDocStore } from "../../persistence/doc-level.js";
import { WriteGuard } from "../../persistence/write-guard.js";
import { gatedDb, touches } from "./gated-db.js";

const KEYS = ["a", "b", "c", "d", "e"];

/**
 * A room's write (`failing`, on `target`) fails while `beside` lands in LevelDB; `beside` is refused, and the next
 * reopen of `level` drops it again. `meanwhile` runs once `beside` is in LevelDB, before the failure is known.
 */
export async function refuseBeside(
  level: Level<Uint8Array, Uint8Array>,
  gate: ReturnType<typeof gatedDb>,
  target: ByteDb,
  beside: () => Promise<unknown>,
  meanwhile?: () => Promise<unknown>,
): Promise<void> {
  const held = gate.hold(touches("failing"));
  const failed = target.batch([{ type: "put", key: Buffer.from("failing"), value: Buffer.from("v") }], { sync: true });
  await held.entered;
  const landed = gate.batches.length;
  const refused = beside(); // lands in LevelDB while the room's write is under way
  await until(() => gate.batches.length === landed + 1);
  await meanwhile?.();
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

/**
 * Document "d" of a store on `level` with `stored` updates (of five, each setting a key "a".."e" of map "m") written
 * one by one, then the next refused beside a room's failed write.
 */
export async function refusedBeside(
  level: Level<Uint8Array, Uint8Array>,
  dir: string,
  stored: number,
  compactOnLoadAbove?: number,
  meanwhile?: (docs: LevelDocStore) => Promise<unknown>,
) {
  const gate = gatedDb(level);
  const guard = new WriteGuard(level, dir, () => {});
  const docs = new LevelDocStore(guard.guard(gate.db), {
    location: dir,
    commitIntervalMs: 0,
    whenWritable: () => guard.ready(),
    reopens: () => guard.reopens,
    ...(compactOnLoadAbove === undefined ? {} : { compactOnLoadAbove }),
  });
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  for (const key of KEYS) doc.getMap("m").set(key, key);
  for (const update of updates.slice(0, stored)) await docs.append("d", update);
  await refuseBeside(level, gate, guard.guard(gate.db), () => docs.append("d", updates[stored]!), meanwhile && (() => meanwhile(docs)));
  return { docs, updates, gate };
}

/** Document "d"'s map "m" as a store opened afresh on `level` finds it. */
export async function storedContent(level: Level<Uint8Array, Uint8Array>, dir: string): Promise<unknown> {
  const docs = new LevelDocStore(level, { location: dir });
  const loaded = new Y.Doc();
  Y.applyUpdate(loaded, (await docs.load("d"))!);
  await docs.close();
  return loaded.getMap("m").toJSON();
}

/** Resolves once `done()`, checked every turn of the event loop; rejects after `turns` turns. */
export async function until(done: () => boolean, turns = 10_000): Promise<void> {
  for (let turn = 0; !done(); turn++) {
    if (turn > turns) throw new Error("never happened");
    await new Promise((resolve) => setImmediate(resolve));
  }
}
