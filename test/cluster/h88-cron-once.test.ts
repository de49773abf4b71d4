/**
 * A cron tick runs once per scheduled time cluster-wide, even while two nodes believe they lead. Redis that lost its
 * keys (restarted empty) lets a second node take the leader lease while the first still holds it by its own clock
 * (until its renewal finds the key gone). The window is made wide and certain from the outside: the leader is cut off
 * from Redis (its renewal cannot tell it anything, so it leads until its lease's validity ends), and the other node,
 * frozen for longer than its once-per-TTL leader check, is resumed right after Redis lost everything, so it takes the
 * fresh lease at once. Redis loses its keys by FLUSHALL, not a restart: a restart drops the frozen node's connection,
 * and its first claim once resumed would fail while it reconnects (the window then depends on its leader check's
 * phase). Each run is logged by the fixture's onCron to a file (cron-runs.log), which the cut-off node still writes.
 */
import { expect, test, vi } from "vitest";
import { LEADER_LEASE } from "../../src/cluster/placement.js";
import { cronRuns, startCluster, until, useCluster, type TestCluster } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 120_000 });

/** A lease long enough for the old leader to lead on for seconds after the other took the lease. */
const LEASE_TTL_S = 4;
const TTL_MS = LEASE_TTL_S * 1000;

/** Scheduled time → the pids of the processes that ran the tick (the fixture's cron runs every second). */
async function runsByTime(cluster: TestCluster): Promise<Map<number, number[]>> {
  const runs = new Map<number, number[]>();
  for (const { at, pid } of await cronRuns(cluster)) runs.set(at, [...(runs.get(at) ?? []), pid]);
  return runs;
}

/** How many ticks scheduled after `after` the process `pid` ran. */
const ranBy = (runs: Map<number, number[]>, pid: number, after: number): number => [...runs].filter(([at, pids]) => at > after && pids.includes(pid)).length;

test("after Redis restarted empty, two nodes that both believe they lead run each tick once between them", async () => {
  const cluster = await startCluster(2, { leaseTtlS: LEASE_TTL_S });
  await until(async () => (await cluster.owner(LEADER_LEASE)) !== undefined, "a leader");
  const leader = cluster.node(await cluster.owner(LEADER_LEASE));
  const other = cluster.nodes.find((node) => node !== leader)!;
  await until(async () => ranBy(await runsByTime(cluster), leader.pid, 0) >= 2, "two ticks on the leader");
  const from = Math.max(...(await runsByTime(cluster)).keys());

  // Frozen past its leader check's period (once per TTL): resumed, the other node looks for the leader lease at once.
  const frozenAt = Date.now();
  await other.kill("SIGSTOP");
  try {
    await until(async () => ranBy(await runsByTime(cluster), leader.pid, frozenAt + TTL_MS) >= 1, "a tick a TTL after the freeze", 30_000);
    leader.redisLink.partition();
  } finally {
    await cluster.flushRedis().finally(() => other.kill("SIGCONT"));
  }
  const cutAt = Date.now();
  await until(async () => (await cluster.owner(LEADER_LEASE)) === other.url, "the resumed node to lead");
  // Past the old leader's validity (under 0.9 TTL after the cut), with ticks run by the new leader after it.
  await until(async () => ranBy(await runsByTime(cluster), other.pid, cutAt + TTL_MS) >= 2, "two ticks of the new leader past the old lease", 30_000);

  const runs = [...(await runsByTime(cluster))].filter(([at]) => at > from).sort(([a], [b]) => a - b);
  const report = JSON.stringify(runs.map(([at, pids]) => [at, pids.map((pid) => (pid === leader.pid ? "old" : "new"))]));
  expect(
    runs.filter(([, pids]) => pids.length !== 1),
    `ticks run more than once: ${report}`,
  ).toEqual([]);
  const missing: number[] = [];
  for (let at = runs[0]![0] + 1000; at < runs.at(-1)![0]; at += 1000) if (!runs.some(([ran]) => ran === at)) missing.push(at);
  expect(missing, `ticks no node ran while one led: ${report}`).toEqual([]);
  // The window was there: the old leader, leading by its own clock, asked for ticks the new one had claimed.
  expect(leader.output).toContain('"event":"cron.tick_skipped"');
});

test("Redis restarted empty: the leader's renewal takes its lease again and it keeps the lead, its fence unmoved; each tick runs once", async () => {
  const cluster = await startCluster(2);
  await until(async () => (await cluster.owner(LEADER_LEASE)) !== undefined, "a leader");
  const leader = cluster.node(await cluster.owner(LEADER_LEASE));
  const other = cluster.nodes.find((node) => node !== leader)!;
  await until(async () => ranBy(await runsByTime(cluster), leader.pid, 0) >= 2, "two ticks on the leader");
  const from = Math.max(...(await runsByTime(cluster)).keys());

  // Frozen across the restart, the other node cannot take the lease first: the leader's renewal is what takes it.
  await other.kill("SIGSTOP");
  try {
    await cluster.redis.restart("crash");
    await until(async () => (await cluster.owner(LEADER_LEASE)) === leader.url, "the leader's renewal to take its lease again");
    const restartedAt = Date.now();
    await until(async () => ranBy(await runsByTime(cluster), leader.pid, restartedAt) >= 2, "two ticks after the restart");
  } finally {
    await other.kill("SIGCONT");
  }

  const runs = [...(await runsByTime(cluster))].filter(([at]) => at > from).sort(([a], [b]) => a - b);
  const report = JSON.stringify(runs);
  expect(
    runs.filter(([, pids]) => pids.length !== 1 || pids[0] !== leader.pid),
    `ticks run twice or elsewhere: ${report}`,
  ).toEqual([]);
  const missing: number[] = [];
  for (let at = runs[0]![0] + 1000; at < runs.at(-1)![0]; at += 1000) if (!runs.some(([ran]) => ran === at)) missing.push(at);
  expect(missing, `ticks no node ran: ${report}`).toEqual([]);
  // Before, it gave the lease up (its fence "moved" from none) and took the lead again at its next leader check.
  expect(leader.output).not.toMatch(/"event":"cluster\.fence_moved"[^\n]*"room":"__yparty:crons"/);
  expect(leader.output.match(/"event":"cluster\.leader"/g)).toHaveLength(1);
});
