/**
 * Crons while the leader's link to Redis is partitioned (h131, an attack that held up). The leader keeps its timers but
 * stops running ticks once its lease's validity is past (by its own clock, nothing asked of Redis); the other node takes
 * the lead once the key expired and runs the next ticks, each scheduled time once, the fixture's stub call to
 * counter/crons recording each; after the heal, the old leader runs none of the ticks it missed.
 */
import { expect, test, vi } from "vitest";
import { LEADER_LEASE } from "../../src/cluster/placement.js";
import { cronRuns, startCluster, until, useCluster } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

test("the leader partitioned from Redis: the other node runs the ticks, none twice, a gap of at most a few seconds; none run late after the heal", async () => {
  const cluster = await startCluster(2);
  await until(async () => (await cluster.owner(LEADER_LEASE)) !== undefined, "a leader");
  const leader = cluster.node(await cluster.owner(LEADER_LEASE));
  const other = cluster.nodes.find((node) => node !== leader)!;
  await until(async () => (await cronRuns(cluster)).some((run) => run.pid === leader.pid), "the leader to run a tick");
  const cutAt = Date.now();
  leader.redisLink.partition();
  await until(async () => (await cronRuns(cluster)).filter((run) => run.pid === other.pid).length >= 3, "the other node to run ticks", 30_000);
  const healAt = Date.now();
  leader.redisLink.heal();
  await until(async () => (await cronRuns(cluster)).some((run) => run.at > healAt + 2_000), "ticks after the heal", 30_000);

  const runs = await cronRuns(cluster);
  const times = runs.map((run) => run.at);
  expect(times.filter((at, i) => times.indexOf(at) !== i)).toEqual([]);
  // The leader stops within its lease's validity (0.9 s at TTL 1 s), a tick's second aside.
  expect(runs.filter((run) => run.pid === leader.pid && run.at > cutAt + 2_000 && run.at < healAt)).toEqual([]);
  // No tick run after a later one (a stale tick run late).
  expect(times).toEqual([...times].sort((a, b) => a - b));
  const sorted = [...new Set(times)].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((at, i) => at - sorted[i]!);
  process.stdout.write(`[cluster h131] ticks skipped while the lead moved: ${Math.max(...gaps) / 1000 - 1}\n`);
  expect(Math.max(...gaps)).toBeLessThanOrEqual(4_000);
  const counter = (await (await fetch(`${other.url}/parties/counter/crons`)).json()) as { ticks: Record<string, number> };
  expect(Object.values(counter.ticks).filter((count) => count > 1)).toEqual([]);
});
