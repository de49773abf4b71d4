/**
 * PostgreSQL frozen (SIGSTOP on all its processes) for 6 s while the fixture's every-second cron came due on the
 * leader: each tick's claim (cron-ticks.ts) waited for the database, and once it answered all six ran at once, a
 * backlog of stale ticks. A tick that comes due while the claim of an earlier one still waits is now skipped: a cron
 * missed runs once, as on PartyKit's platform, where a missed cron is not made up.
 */
import { expect, test, vi } from "vitest";
import { processTree } from "../helpers/engines.js";
import { LEADER_LEASE } from "../../src/cluster/placement.js";
import { cronRuns, startCluster, until, useCluster } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 120_000 });

test("ticks that came due while PostgreSQL was frozen do not all run once it is back", async () => {
  const cluster = await startCluster(1);
  await until(async () => (await cluster.owner(LEADER_LEASE)) !== undefined, "a leader");
  await until(async () => (await cronRuns(cluster)).length >= 2, "two ticks");
  const pids = await processTree(cluster.postgres.pid);
  const frozenAt = Date.now();
  for (const pid of pids) process.kill(pid, "SIGSTOP");
  let resumedAt = 0;
  try {
    await until(() => Date.now() > frozenAt + 6_000, "6 s of freeze", 10_000);
  } finally {
    for (const pid of pids) process.kill(pid, "SIGCONT");
    resumedAt = Date.now();
  }
  await until(async () => (await cronRuns(cluster)).some((run) => run.at > resumedAt + 2_000), "ticks after the thaw", 30_000);
  const runs = await cronRuns(cluster);
  console.log(JSON.stringify(runs.map((r) => r.at - frozenAt)));
  const duringFreeze = runs.filter((run) => run.at > frozenAt && run.at <= resumedAt);
  expect(duringFreeze.length).toBeLessThanOrEqual(1);
});
