/**
 * `node --import tsx bench/commit-cost.ts [--rate=N] [--commits=N] [--rounds=N] [--docs=N] [--lazy]`: the LevelDB
 * engine's CPU per commit of one append, with nothing else around it. Each append is awaited before the next (one per
 * batch, as strict durability's at the fan-out's pace), round robin over the documents. Prints µs of process CPU per
 * commit, split into the main thread and the others (LevelDB's pool: its write and fsync), medians and the least.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openStorage } from "../persistence/index.js";
import { AppendTypist } from "./client/append-updates.js";
import { median } from "./stats.js";

const arg = (name: string, fallback: number): number => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.slice(name.length + 3)) : fallback;
};
const RATE = arg("rate", 500);
const COMMITS = arg("commits", 1500);
const ROUNDS = arg("rounds", 3);
const DOCS = arg("docs", 10);
const LAZY = process.argv.includes("--lazy");

/** CPU (µs) of every thread of this process but the main one (LevelDB's pool, V8's helpers), from /proc. */
async function otherThreadsUs(): Promise<number> {
  const tick = 1e6 / 100; // USER_HZ
  let total = 0;
  for (const tid of await readdir("/proc/self/task")) {
    if (Number(tid) === process.pid) continue;
    const stat = await readFile(`/proc/self/task/${tid}/stat`, "utf8").catch(() => "");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    total += (Number(fields[11]) + Number(fields[12])) * tick;
  }
  return total;
}

const until = (at: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));

const dir = await mkdtemp(join(tmpdir(), "yparty-commit-cost-"));
const storage = await openStorage({ dir });
const typists = Array.from({ length: DOCS }, (_, d) => new AppendTypist(d + 1));
const total: number[] = [];
const busy: number[] = [];
const mainCpu: number[] = [];
const others: number[] = [];
for (let round = 0; round <= ROUNDS; round++) {
  const cpuBefore = process.cpuUsage();
  const othersBefore = await otherThreadsUs();
  const loopBefore = performance.eventLoopUtilization();
  const start = performance.now();
  for (let i = 0; i < COMMITS; i++) {
    const d = i % DOCS;
    await storage.docs.append(`main/room-${d}`, typists[d]!.next(`~${i}~`), LAZY ? { lazy: true } : undefined);
    if (RATE > 0) await until(start + ((i + 1) * 1000) / RATE);
  }
  const used = process.cpuUsage(cpuBefore);
  const othersUs = (await otherThreadsUs()) - othersBefore;
  const loop = performance.eventLoopUtilization(loopBefore);
  if (round === 0) continue;
  total.push((used.user + used.system) / COMMITS);
  busy.push((loop.active * 1000) / COMMITS);
  mainCpu.push((used.user + used.system - othersUs) / COMMITS);
  others.push(othersUs / COMMITS);
}
await storage.close();
await rm(dir, { recursive: true, force: true });
const f = (v: number): string => v.toFixed(1).padStart(6);
console.log(
  `per commit: CPU ${f(median(total))} µs (least ${f(Math.min(...total))}), main thread busy ${f(median(busy))} µs, ` +
    `main thread CPU ${f(median(mainCpu))} µs, other threads ${f(median(others))} µs (least ${f(Math.min(...others))})`,
);
