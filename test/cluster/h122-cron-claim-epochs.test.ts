/**
 * A cron tick's claim (src/cluster/cron-ticks.ts) across lead changes, two nodes on one real PostgreSQL, checked by the
 * record of who ran what: a tick never runs on two nodes, and is never skipped because of what a node remembers.
 *  - the lead goes to another node, which ticks, and back with a NEW fence: the node reads the record again and skips
 *    the ticks the other ran, then claims the next;
 *  - a claim whose write waited its turn (a commit in flight before it held) across such a change: its write carried the
 *    fence of the moment its batch was built, the node's new one, so the tick ran on both nodes and the record went back
 *    to it, and the next tick ran on both too (failed before: the write carries the fence held when it was called).
 */
import { afterAll, afterEach, expect, test } from "vitest";
import { PostgresStorage } from "../../persistence/index.js";
import { CronTicks } from "../../src/cluster/cron-ticks.js";
import { LEADER_LEASE } from "../../src/cluster/placement.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase, holdRoomRow } from "../persistence/postgres-helpers.js";

const opened: PostgresStorage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

const T = Date.UTC(2026, 11, 5, 12);

/** A node: its storage and its record of ticks; `lead()` takes the lead's fence (as placement does with the lease). */
async function node(url: string, owner: string): Promise<{ storage: PostgresStorage; ticks: CronTicks; lead(): Promise<number> }> {
  const storage = await PostgresStorage.open({ url, mode: "cluster", owner, onWarning: () => undefined });
  opened.push(storage);
  return { storage, ticks: new CronTicks(() => storage, LEADER_LEASE), lead: () => storage.claim(LEADER_LEASE, owner) };
}

/** Which node ran each tick (a claim resolving true runs it). */
function runs() {
  const ran = new Map<number, string[]>();
  return {
    ran,
    async claim(who: string, ticks: CronTicks, tick: number): Promise<boolean | string> {
      const outcome = await ticks.claim("job", T + tick * 1_000).catch((error: { code?: string }) => error.code ?? "error");
      if (outcome === true) ran.set(tick, [...(ran.get(tick) ?? []), who]);
      return outcome;
    },
  };
}

test("the lead to another node and back under a new fence: the ticks it ran are skipped, the next claimed", async () => {
  const { url } = await freshDatabase();
  const a = await node(url, "node-a");
  const b = await node(url, "node-b");
  const record = runs();
  await a.lead();
  expect(await record.claim("a", a.ticks, 0)).toBe(true);
  expect(await record.claim("a", a.ticks, 1)).toBe(true);
  await b.lead();
  expect(await record.claim("a", a.ticks, 2)).toBe("ERR_FENCED");
  expect(await record.claim("b", b.ticks, 2)).toBe(true);
  expect(await record.claim("b", b.ticks, 3)).toBe(true);
  await a.lead(); // a new fence: what A remembers of fence 1 is not trusted
  expect(await record.claim("a", a.ticks, 3)).toBe(false);
  expect(await record.claim("a", a.ticks, 4)).toBe(true);
  expect([...record.ran]).toEqual([
    [0, ["a"]],
    [1, ["a"]],
    [2, ["b"]],
    [3, ["b"]],
    [4, ["a"]],
  ]);
});

test("a claim whose write waited its turn while the lead went to another node and came back is refused: no tick runs twice", {
  timeout: 30_000,
}, async () => {
  const { url } = await freshDatabase();
  const a = await node(url, "node-a");
  const b = await node(url, "node-b");
  const record = runs();
  await a.lead();
  expect(await record.claim("a", a.ticks, 0)).toBe(true);
  // A commit of A's is in flight, held (a slow database): A's claim of tick 1 waits its turn behind it.
  await a.storage.claim("main/blocker");
  const held = await holdRoomRow(url, "main/blocker");
  const inFlight = a.storage.kv("main/blocker").put("k", 1);
  await held.waited();
  const late = record.claim("a", a.ticks, 1);
  // Meanwhile B leads and runs ticks 1 and 2; then A leads again.
  await b.lead();
  expect(await record.claim("b", b.ticks, 1)).toBe(true);
  expect(await record.claim("b", b.ticks, 2)).toBe(true);
  await a.lead();
  await held.release();
  await inFlight;
  // Before: true (tick 1 ran on both), and the record back at tick 1, so tick 2 ran on both too.
  expect(await late).toBe("ERR_FENCED");
  expect(await record.claim("a", a.ticks, 2)).toBe(false);
  expect(await record.claim("a", a.ticks, 3)).toBe(true);
  expect([...record.ran].filter(([, who]) => who.length > 1)).toEqual([]);
  expect([...record.ran.keys()].sort()).toEqual([0, 1, 2, 3]);
});
