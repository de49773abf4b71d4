/**
 * `node --import tsx bench/connect-profile.ts [server-id] [connects] [rounds] [mode] [profile-dir]`: what connect
 * storms cost a fresh server child, round by round (100 rooms warmed first; each round connects N clients, 50 in
 * flight, then closes them): CPU per connect and per close, split into the main thread (and its time in the kernel) and the others (V8's
 * compiler and GC helpers), and the harness's own CPU per connect (its client half of the handshake: on 2 cores the
 * harness's one thread is what bounds the idle scenario's connects/s). Before the rounds, the 100 rooms' first connects
 * (each starts its room) are measured on their own, and after them 100 more new rooms' (starting a room once the code
 * is warm). The first round carries the warm-up (code compiled and optimised, the young generation
 * grown), as the bench's idle scenario does. `mode`: `tsx` runs the child as the bench does (default), `bundle` as
 * `heap-per-connection.ts` does, `prof` bundled with `--cpu-prof` into `profile-dir` (default bench/results/connect-profile.tmp; for `bench/profile-summary.ts`;
 * `--cpu-prof` timestamps of each round's connects are printed for `bench/profile-window.ts`), or flags of one's own
 * ("--flag --other").
 */
import { mkdir, readdir, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { closeAll, connectMany } from "./client/pool.js";
import { writeCalls } from "./proc.js";
import { serverById, type ServerId } from "./servers/catalog.js";
import { setProfileFlags, startTarget } from "./target.js";

const ROOMS = 100;
const FRESH = Number(process.env.FRESH_ROOMS ?? ROOMS);
const TICKS_PER_SECOND = 100;
const id = (process.argv[2] ?? "yparty-memory") as ServerId;
const connections = Number(process.argv[3] ?? 2000);
const rounds = Number(process.argv[4] ?? 3);
const mode = process.argv[5] ?? "tsx";
const dir = resolve(process.argv[6] ?? "bench/results/connect-profile.tmp", id);
if (mode === "prof") {
  await mkdir(dir, { recursive: true });
  setProfileFlags(() => ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
} else if (mode === "bundle") {
  setProfileFlags(() => ["--heapsnapshot-signal=SIGUSR2"]);
} else if (mode.startsWith("--")) {
  // Any other Node/V8 flags (space-separated), bundled: e.g. "--log-deopt --logfile=/tmp/v8.log".
  setProfileFlags(() => mode.split(" "));
}

/** CPU seconds of the process's main thread (and its time in the kernel) and of its other threads: run time from
 * schedstat (nanoseconds: a first round of 100 connects is a few clock ticks), the kernel's share from stat (ticks). */
async function threadCpu(pid: number): Promise<{ main: number; mainSystem: number; others: number; writes: number }> {
  const writes = writeCalls(pid).calls;
  let main = 0;
  let mainSystem = 0;
  let others = 0;
  for (const task of await readdir(`/proc/${pid}/task`)) {
    const [stat, schedstat] = await Promise.all([
      readFile(`/proc/${pid}/task/${task}/stat`, "utf8").catch(() => ""),
      readFile(`/proc/${pid}/task/${task}/schedstat`, "utf8").catch(() => ""),
    ]);
    if (!stat || !schedstat) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const seconds = Number(schedstat.split(" ")[0]) / 1e9;
    if (task === String(pid)) {
      main += seconds;
      mainSystem += Number(fields[12]) / TICKS_PER_SECOND;
    } else {
      others += seconds;
    }
  }
  return { main, mainSystem, others, writes };
}

const target = await startTarget(serverById(id));
try {
  const pid = target.server.pid;
  type Cpu = Awaited<ReturnType<typeof threadCpu>>;
  const micros = (after: Cpu, before: Cpu, count = connections): string => {
    const per = (seconds: number): number => Math.round((seconds * 1e6) / count);
    const main = `main ${per(after.main - before.main)} of which system ${per(after.mainSystem - before.mainSystem)}`;
    const writes = ((after.writes - before.writes) / count).toFixed(2);
    return `${per(after.main - before.main + after.others - before.others)} µs (${main}, others ${per(after.others - before.others)}; ${writes} writes)`;
  };
  // The first connect of each room starts it (a store read, the session's objects) in a process that has compiled nothing.
  const started = await threadCpu(pid);
  const warmedAt = process.hrtime.bigint() / 1000n;
  const warm = await connectMany(target, ROOMS, 50, (i) => `profile-${i % ROOMS}`);
  process.stdout.write(`first connects: ${warmedAt} ${process.hrtime.bigint() / 1000n}\n`);
  process.stdout.write(`${id} first connects (${ROOMS} new rooms): per connect ${micros(await threadCpu(pid), started, ROOMS)}\n`);
  for (let round = 0; round < rounds; round++) {
    const before = await threadCpu(pid);
    const harnessBefore = process.cpuUsage();
    const startedAt = process.hrtime.bigint() / 1000n;
    const clients = await connectMany(target, connections, 50, (i) => `profile-${i % ROOMS}`);
    const connected = await threadCpu(pid);
    const harness = process.cpuUsage(harnessBefore);
    process.stdout.write(`round ${round + 1} connects: ${startedAt} ${process.hrtime.bigint() / 1000n}\n`);
    await closeAll(clients);
    const closed = await threadCpu(pid);
    process.stdout.write(
      `${id} round ${round + 1}: per connect ${micros(connected, before)}, the harness ${Math.round((harness.user + harness.system) / connections)} µs; per close ${micros(closed, connected)}\n`,
    );
  }
  // Rooms started once the code is warm: what starting a room costs apart from the first compile.
  const before = await threadCpu(pid);
  const freshAt = process.hrtime.bigint() / 1000n;
  const fresh = await connectMany(target, FRESH, 50, (i) => `fresh-${i}`);
  process.stdout.write(`fresh connects: ${freshAt} ${process.hrtime.bigint() / 1000n}\n`);
  process.stdout.write(`${id} first connects (${FRESH} more new rooms, warm): per connect ${micros(await threadCpu(pid), before, FRESH)}\n`);
  await closeAll(fresh);
  await closeAll(warm);
} finally {
  await target.stop();
}
if (mode === "prof") process.stdout.write(`profile in ${dir}\n`);
