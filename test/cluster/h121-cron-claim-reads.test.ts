/**
 * What a cron tick costs a cluster's leader in PostgreSQL (src/cluster/cron-ticks.ts). Every tick is due (its timer
 * is set for the schedule's next time), and its claim must be committed under the leader's fence before it runs: that
 * write is what keeps two leaders from running one tick. The read before it was needed only to learn the record:
 * while this node holds the same fence, no one else wrote it, so it is what this node wrote last. And the write was a
 * transaction of four statements (BEGIN, the fences, the put, COMMIT), now one (persistence/pg/commit.ts, as appends
 * were). A tick now costs one round trip, five before; a node that restarts, or leads again, or the next leader, reads the record once and skips the ticks
 * claimed before.
 */
import pg from "pg";
import { afterAll, afterEach, expect, test, vi } from "vitest";
import { PostgresStorage } from "../../persistence/index.js";
import { CronTicks } from "../../src/cluster/cron-ticks.js";
import { LEADER_LEASE } from "../../src/cluster/placement.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase } from "../persistence/postgres-helpers.js";

const opened: PostgresStorage[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

const T = Date.UTC(2026, 11, 5, 12);

/** A node's storage and its record of ticks, once it took the lead (claimed the record's fence). */
async function leader(url: string, owner: string): Promise<CronTicks> {
  const storage = await PostgresStorage.open({ url, mode: "cluster", owner, onWarning: () => undefined });
  opened.push(storage);
  await storage.claim(LEADER_LEASE, owner);
  return new CronTicks(() => storage, LEADER_LEASE);
}

/** Counts the statements sent (`all`) and those that read `room_kv` (the record), from every connection of this process. */
function recordReads(): (() => number) & { all: () => number } {
  let reads = 0;
  let all = 0;
  const query = pg.Client.prototype.query;
  vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === "string" ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    all++;
    if (text && /^\s*SELECT\b[\s\S]*\bFROM room_kv\b/i.test(text)) reads++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as never);
  return Object.assign(() => reads, { all: () => all });
}

test("a leader's ticks after its first are claimed without reading the record; a restarted node reads it once and skips the ticks claimed", async () => {
  const { url } = await freshDatabase();
  const a = await leader(url, "node-a");
  const reads = recordReads(); // from here (a fresh database's migration reads room_kv too)
  expect(await a.claim("every-second", T)).toBe(true);
  expect(reads()).toBe(1);
  const sent = reads.all();
  for (let tick = 1; tick <= 5; tick++) expect(await a.claim("every-second", T + tick * 1_000)).toBe(true);
  // Before: one read a tick (6), and each write a transaction of four statements: five round trips a tick.
  expect(reads()).toBe(1);
  expect(reads.all() - sent).toBe(5);
  expect(await a.claim("every-second", T + 5_000)).toBe(false); // claimed already: still known
  expect(reads()).toBe(1);

  // The node restarts (its process, its fence): it reads the record, and the ticks claimed before do not run again.
  const restarted = await leader(url, "node-a");
  const before = reads();
  expect(await restarted.claim("every-second", T + 5_000)).toBe(false);
  expect(reads()).toBe(before + 1);
  expect(await restarted.claim("every-second", T + 6_000)).toBe(true);
  expect(reads()).toBe(before + 1);
  // The node before the restart, still believing it leads, cannot claim: its fence is old.
  await expect(a.claim("every-second", T + 7_000)).rejects.toMatchObject({ code: "ERR_FENCED" });
  // Nor can it once it learnt so (what it knew is not trusted after a failed write).
  await expect(a.claim("every-second", T + 8_000)).rejects.toMatchObject({ code: "ERR_FENCED" });
  expect(await restarted.claim("every-second", T + 7_000)).toBe(true);
});
