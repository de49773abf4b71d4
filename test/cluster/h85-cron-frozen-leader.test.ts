/**
 * A leader frozen (SIGSTOP) across cron ticks while another node takes the leader lease and runs them, then resumed
 * (SIGCONT): its timer for the first tick it missed fires at once, and it must run no tick after its freeze (the
 * runtime asks `runsCrons()`, the lease's validity by the monotonic clock, right before each tick). Each tick is run
 * once; every one scheduled after the freeze by the successor.
 */
import { expect, test, vi } from "vitest";
import { LEADER_LEASE } from "../../src/cluster/placement.js";
import { startCluster, until, useCluster, type ClusterNode } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

/** Scheduled time → the pids of the processes that ran the tick (the fixture's onCron reports each run). */
async function tickPids(node: ClusterNode): Promise<Map<number, number[]>> {
  const { tickPids } = (await (await fetch(`${node.url}/parties/counter/crons`)).json()) as { tickPids: Record<string, number[]> };
  return new Map(Object.entries(tickPids).map(([key, pids]) => [Number(key.slice("tickPids:".length)), pids]));
}

test("a leader resumed after a freeze past its lease runs no tick scheduled after its freeze: its successor ran them", async () => {
  const cluster = await startCluster(2);
  await until(async () => (await cluster.owner(LEADER_LEASE)) !== undefined, "a leader");
  const leader = cluster.node(await cluster.owner(LEADER_LEASE));
  const next = cluster.nodes.find((node) => node !== leader)!;
  await until(async () => (await tickPids(next)).size >= 2, "two cron ticks");

  // A margin for the signal's delivery: a tick due right as it was sent may still have run on the leader.
  const frozenAt = Date.now() + 20;
  await leader.kill("SIGSTOP");
  try {
    await until(async () => (await cluster.owner(LEADER_LEASE)) === next.url, "the other node to lead");
    await until(async () => [...(await tickPids(next)).keys()].filter((at) => at > frozenAt).length >= 2, "two ticks run by the successor");
  } finally {
    await leader.kill("SIGCONT");
  }
  const resumedAt = Date.now();
  // Long enough for the resumed node's overdue timer, and its next leader tick (once per TTL), to have run.
  await until(async () => [...(await tickPids(next)).keys()].filter((at) => at > resumedAt).length >= 3, "three ticks after the resume");
  const runs = await tickPids(next);
  const report = JSON.stringify(Object.fromEntries(runs));
  expect(
    [...runs].filter(([, pids]) => pids.length !== 1),
    `ticks run more than once: ${report}`,
  ).toEqual([]);
  const stale = [...runs].filter(([at, pids]) => at > frozenAt && at < resumedAt && pids.includes(leader.pid));
  expect(stale, `ticks the frozen leader ran after its freeze: ${report}`).toEqual([]);
});
