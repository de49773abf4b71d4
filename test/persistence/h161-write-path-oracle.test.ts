/**
 * A structure-aware random oracle over the LevelDB document store's write path (its batches built without waiting a
 * turn when nothing is to wait for): bursts of appends to a few documents, loads and compactions among them, failed
 * batches, batches refused beside a failed write (which the next reopen's replay drops, as LevelDB does after a torn
 * record) and deletes, on a real LevelDB behind the write guard, compared with what was acknowledged. At each quiet
 * point every document loads exactly what was acknowledged and its acked record counts the entries its log holds.
 */
import type { Level } from "level";
import { afterEach, describe, expect, it } from "vitest";
import { readDocument } from "../../persistence/ack-check.js";
import type { BatchOp, ByteDb } from "../../persistence/byte-db.js";
import { LevelDocStore } from "../../persistence/doc-level.js";
import { WriteGuard } from "../../persistence/write-guard.js";
import { seededRandom } from "../helpers/seeded-random.js";
import { gatedDb, touches } from "./gated-db.js";
import { closeTempLevel, mapKeysOf, openTempLevel, updateSettingKey } from "./helpers.js";

const DOCS = ["d0", "d1", "d2"];
const SIMULATED = () => new Error("IO error: No space left on device (simulated)");

/**
 * The store on `level` behind a write guard whose reopen drops every batch refused beside a failed write (LevelDB
 * took it into memory; the replay drops what follows the torn record), as reopen-support.ts does for one.
 */
function storeOn(level: Level<Uint8Array, Uint8Array>, dir: string, random: () => number) {
  const gate = gatedDb(level);
  const landed: BatchOp[][] = [];
  const refused = new Set<BatchOp[]>();
  /** How many batches had landed when one failed (LevelDB's log is torn there until the reopen). */
  let tornAt: number | undefined;
  const recorder: ByteDb = {
    ...gate.db,
    batch: (ops, options) =>
      gate.db.batch(ops, options).then(
        () => void landed.push(ops),
        (error: unknown) => {
          tornAt ??= landed.length;
          throw error;
        },
      ),
  };
  const guard = new WriteGuard(level, dir, () => {});
  const guarded = guard.guard(recorder);
  const target: ByteDb = {
    ...guarded,
    batch: (ops, options) =>
      guarded.batch(ops, options).catch((error: unknown) => {
        if (landed.includes(ops)) refused.add(ops);
        throw error;
      }),
  };
  const open = level.open.bind(level);
  level.open = (async (...args: Parameters<typeof open>) => {
    await open(...args);
    // The replay drops what followed the torn record, and the batches refused beside the failed one.
    const dropped = landed.filter((ops, index) => refused.has(ops) || (tornAt !== undefined && index >= tornAt));
    for (const ops of dropped.reverse()) {
      const before = landed.slice(0, landed.indexOf(ops)).flat();
      await level.batch(ops.map((op): BatchOp => before.findLast((earlier) => Buffer.compare(earlier.key, op.key) === 0) ?? { type: "del", key: op.key }));
      landed.splice(landed.indexOf(ops), 1);
    }
    refused.clear();
    tornAt = undefined;
  }) as typeof level.open;
  const docs = new LevelDocStore(target, {
    location: dir,
    commitIntervalMs: random() < 0.5 ? 0 : 2,
    maxJobsPerBatch: 1 + Math.floor(random() * 4),
    compactOnLoadAbove: 2 + Math.floor(random() * 4),
    idleLogsKept: Math.floor(random() * 3),
    whenWritable: () => guard.ready(),
    reopens: () => guard.reopens,
  });
  return { docs, gate, target };
}

describe("the LevelDB write path against what was acknowledged", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  // H161_SEEDS="5,5,5" replays chosen seeds. Seed 5 found a delete that left the appends built before it in its batch
  // (about one run in ten under load): test/persistence/delete-in-same-batch.
  const seeds = (process.env.H161_SEEDS ?? "1,2,3,4,5,6,7").split(",").map(Number);
  for (const seed of seeds) {
    it(`seed ${seed}: loads and acked records match the acknowledged appends`, async () => {
      const random = seededRandom(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const { dir, level } = await openTempLevel();
      cleanup = () => closeTempLevel(level, dir);
      const { docs, gate, target } = storeOn(level, dir, random);
      const acked = new Map<string, Set<string>>(DOCS.map((name) => [name, new Set()]));
      const toRetry: Array<[string, string]> = [];
      const pending: Promise<unknown>[] = [];
      const problems: string[] = [];
      let next = 0;
      let settled = 0;

      const append = (name: string, key: string) => {
        pending.push(
          docs
            .append(name, updateSettingKey(key))
            .then(
              () => acked.get(name)!.add(key),
              () => toRetry.push([name, key]), // a room writes a refused update again
            )
            .finally(() => settled++),
        );
      };
      const load = (name: string) => {
        const before = [...acked.get(name)!];
        const loaded = docs.load(name).then(
          (state) => {
            const found = new Set(mapKeysOf(state));
            const missing = before.filter((key) => !found.has(key));
            if (missing.length > 0) problems.push(`load of ${name} lacks acknowledged ${missing.join(",")}`);
          },
          (error: Error) => problems.push(`load of ${name} failed: ${error.message}`),
        );
        pending.push(loaded);
        return loaded;
      };
      const burst = (failures = true) => {
        for (let i = 0, n = 1 + Math.floor(random() * 6); i < n; i++) {
          const roll = random();
          if (roll < 0.65) append(pick(DOCS), `k${next++}`);
          else if (roll < 0.8) load(pick(DOCS));
          else if (roll < 0.9 || !failures)
            pending.push(docs.compact(pick(DOCS)).catch(() => undefined)); // may fail with its batch
          else gate.fail(touches(pick(DOCS)), SIMULATED()); // the next batch of that document fails
        }
      };
      const quiet = async () => {
        for (let round = 0; pending.length > 0 || toRetry.length > 0; round++) {
          expect(round).toBeLessThan(50);
          await Promise.all(pending.splice(0));
          for (const [name, key] of toRetry.splice(0)) append(name, key);
        }
      };
      const check = async () => {
        for (const name of DOCS) {
          const { entries, meta } = await readDocument(level, name);
          const end = entries.at(-1);
          if (end) expect(meta.acked, `acked record of ${name}`).toEqual({ clock: end.clock, updates: entries.length });
          expect(mapKeysOf(await docs.load(name)), `content of ${name}`).toEqual([...acked.get(name)!].sort());
        }
      };

      for (let step = 0; step < 25; step++) {
        const roll = random();
        if (roll < 0.15) {
          // A room's write fails while a burst's batches are in LevelDB: they are refused, and the reopen drops them.
          const held = gate.hold(touches("failing"));
          const failing = target.batch([{ type: "put", key: Buffer.from("failing"), value: Buffer.from("v") }], { sync: true });
          await held.entered;
          const [landed, settledBefore] = [gate.batches.length, settled];
          append(pick(DOCS), `k${next++}`);
          burst(false);
          // Once its batch is in LevelDB, or has failed (a rule left from before), or is stuck behind an earlier batch
          // that failed and waits for this write to settle: then this write fails.
          for (let turn = 0; turn < 2_000 && gate.batches.length === landed && settled === settledBefore; turn++) {
            await new Promise((resolve) => setImmediate(resolve));
          }
          // Rooms load (and compact in the background) what LevelDB holds then, refused entries included.
          for (const name of DOCS) if (random() < 0.5) await load(name);
          held.release(SIMULATED());
          await failing.catch(() => undefined);
        } else if (roll < 0.25) {
          await quiet();
          const name = pick(DOCS);
          // A delete that failed (a failure rule left for that document) is done again.
          while (
            !(await docs.delete(name).then(
              () => true,
              () => false,
            ))
          );
          acked.get(name)!.clear();
        } else {
          burst();
          if (random() < 0.5) await quiet();
        }
        if (random() < 0.2) {
          await quiet();
          await check();
        }
      }
      await quiet();
      expect(problems).toEqual([]);
      await check();
      await docs.close();
      // A store opened afresh finds every document whole (no acknowledged entry missing).
      const fresh = new LevelDocStore(level, { location: dir });
      for (const name of DOCS) expect(mapKeysOf(await fresh.load(name))).toEqual([...acked.get(name)!].sort());
      await fresh.close();
    });
  }
});
