/**
 * What claiming a cron tick costs the leader of a cluster (src/cluster/cron-ticks.ts: a read of the cron's record, then
 * its write committed under the leader's fence), on a throwaway PostgreSQL (test/helpers/engines.ts: fsync and
 * synchronous_commit on):
 *   - one cron, each claim awaited before the next: the latency a claim adds before `onCron` runs, and claims/s;
 *   - many crons due at once (each claims one tick together): claims/s, their writes sharing the store's commits.
 *
 *   node --import tsx bench/cron-claims.ts [--claims=300] [--crons=1000]
 */
import { loadavg } from "node:os";
import { PostgresStorage } from "../persistence/index.js";
import { CronTicks } from "../src/cluster/cron-ticks.js";
import { LEADER_LEASE } from "../src/cluster/placement.js";
import { startPostgres, stopAllEngines } from "../test/helpers/engines.js";
import { quantile, round } from "./stats.js";

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const CLAIMS = arg("claims", 300);
const CRONS = arg("crons", 1000);

const engine = await startPostgres();
const storage = await PostgresStorage.open({ url: engine.url, mode: "cluster", owner: "bench", onWarning: () => undefined });
try {
  await storage.claim(LEADER_LEASE, "bench");
  const ticks = new CronTicks(() => storage, LEADER_LEASE);
  const base = Date.now();
  const load = loadavg()[0]!.toFixed(2);

  await ticks.claim("warm-up", base);
  const latencies: number[] = [];
  const sequentialStart = performance.now();
  for (let i = 1; i <= CLAIMS; i++) {
    const start = performance.now();
    if (!(await ticks.claim("every-second", base + i * 1000))) throw new Error("a new tick was not claimed");
    latencies.push(performance.now() - start);
  }
  const sequentialMs = performance.now() - sequentialStart;

  const names = Array.from({ length: CRONS }, (_, i) => `cron-${i}`);
  const concurrentStart = performance.now();
  const claimed = await Promise.all(names.map((name) => ticks.claim(name, base)));
  const concurrentMs = performance.now() - concurrentStart;
  if (claimed.some((ok) => !ok)) throw new Error("a due tick was not claimed");

  console.log(
    JSON.stringify({
      loadAverageBefore: load,
      oneCron: {
        claims: CLAIMS,
        perSecond: Math.round((CLAIMS / sequentialMs) * 1000),
        latencyMs: { p50: round(quantile(latencies, 0.5)), p99: round(quantile(latencies, 0.99)), max: round(quantile(latencies, 1)) },
      },
      cronsDueTogether: { crons: CRONS, ms: Math.round(concurrentMs), perSecond: Math.round((CRONS / concurrentMs) * 1000) },
    }),
  );
} finally {
  await storage.close();
  await stopAllEngines();
}
