/**
 * `npm run bench:store [-- --no-trace] [--postgres]`: throughput and load time of the persistence layer on LevelDB
 * (with `--postgres`: the durable runs on LevelDB and on a throwaway PostgreSQL side by side, CPU of the PostgreSQL
 * server's processes reported apart).
 *  - appends/s of small updates, one room (one at a time, and a burst that group commit batches) and 100 rooms at once,
 *    without and with fsync (`sync: true`), with the process's CPU time per append (all threads: fsyncs included);
 *  - 10 rooms appending at a steady 50 updates/s each (the fan-out bench's load), with fsync: CPU per append, and how
 *    long an append waits to be durable; as strict durability appends (committed at once) and as "fast"'s (lazy);
 *  - load time of the automerge-paper editing trace stored as its full update log (one update per transaction), then
 *    after compaction.
 * Bounded loops, temp folders removed at the end. Prints a table.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as zlib from "node:zlib";
import * as Y from "yjs";
import { openStorage, type Storage } from "../persistence/index.js";
import { processTree, stopAllEngines } from "../test/helpers/engines.js";
import { freshDatabase, postgres } from "../test/persistence/postgres-helpers.js";

const SETTINGS = {
  /** Appends in the one-room runs. */
  oneRoomAppends: 3_000,
  /** Rooms, and sequential appends per room, in the many-rooms run. */
  rooms: 100,
  appendsPerRoom: 50,
  /** The steady run: rooms, appends per second in each, seconds. */
  steadyRooms: 10,
  steadyRatePerRoom: 50,
  steadySeconds: 5,
  /** Appends in flight at once while storing the trace. */
  traceWindow: 2_048,
} as const;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tracesDir = path.resolve(repoRoot, "../shared/data/editing-traces");
const traceFile = path.join(tracesDir, "automerge-paper.json.gz");

interface Row {
  measure: string;
  value: string;
  note: string;
}
const rows: Row[] = [];
/** Records a result and shows it at once (the whole table is printed at the end). */
function report(row: Row): void {
  rows.push(row);
  console.log(`  ${row.measure}: ${row.value} (${row.note})`);
}
const tempDirs: string[] = [];

/** `sync` true/false: LevelDB with or without fsync; "postgres": a fresh schema on the throwaway PostgreSQL. */
type EngineChoice = boolean | "memory" | "postgres";

/** `compactOnLoadAbove: Infinity` so the trace's full log can be loaded (and compacted) on purpose. */
async function withStorage<T>(sync: EngineChoice, run: (storage: Storage) => Promise<T>): Promise<T> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "yparty-bench-store-"));
  tempDirs.push(dir);
  const storage =
    sync === "memory"
      ? await openStorage({ memory: true })
      : sync === "postgres"
        ? await openStorage({ url: (await freshDatabase()).url, compactOnLoadAbove: Number.POSITIVE_INFINITY })
        : await openStorage({ dir, sync, compactOnLoadAbove: Number.POSITIVE_INFINITY });
  try {
    return await run(storage);
  } finally {
    await storage.close();
  }
}

/** `count` one-character updates from one writer, as an editor produces them. */
function typingUpdates(count: number): Uint8Array[] {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  const text = doc.getText("text");
  for (let i = 0; i < count; i++) text.insert(text.length, String.fromCharCode(97 + (i % 26)));
  return updates;
}

async function timed(run: () => Promise<void>): Promise<number> {
  return (await measured(run)).ms;
}

/** Wall time and the process's CPU time (user + system, every thread) of `run`; with PostgreSQL, its server's too. */
async function measured(run: () => Promise<void>, engine?: EngineChoice): Promise<{ ms: number; cpuUs: number; postgresCpuUs?: number }> {
  const postgresBefore = engine === "postgres" ? await postgresCpuUs() : undefined;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const { user, system } = process.cpuUsage(cpu);
  const ms = performance.now() - started;
  if (postgresBefore === undefined) return { ms, cpuUs: user + system };
  return { ms, cpuUs: user + system, postgresCpuUs: (await postgresCpuUs()) - postgresBefore };
}

/** CPU time (µs) of the throwaway PostgreSQL's processes so far (backends of open connections included). */
async function postgresCpuUs(): Promise<number> {
  const ticks = 100; // USER_HZ: clock ticks per second in /proc/<pid>/stat on Linux
  let total = 0;
  for (const pid of await processTree((await postgres()).pid)) {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    total += Number(fields[11] ?? 0) + Number(fields[12] ?? 0); // utime, stime
  }
  return (total / ticks) * 1e6;
}

const perSecond = (count: number, ms: number): string => `${Math.round((count * 1000) / ms).toLocaleString("en")}/s`;
const cpuEach = (cpuUs: number, count: number, postgresCpuUs?: number): string =>
  `${Math.round(cpuUs / count)} µs CPU each${postgresCpuUs === undefined ? "" : ` (+ ${Math.round(postgresCpuUs / count)} µs in PostgreSQL)`}`;

const labelOf = (engine: EngineChoice): string =>
  engine === "postgres" ? "PostgreSQL" : engine === "memory" ? "memory engine (the loop's own cost)" : engine ? "sync: true (default, fsync)" : "sync: false";

async function benchAppends(sync: boolean | "postgres"): Promise<void> {
  const label = labelOf(sync);
  const updates = typingUpdates(SETTINGS.oneRoomAppends);
  await withStorage(sync, async ({ docs }) => {
    const { ms, cpuUs, postgresCpuUs } = await measured(async () => {
      for (const update of updates) await docs.append("bench/one-by-one", update);
    }, sync);
    report({
      measure: `1 room, each append awaited, ${label}`,
      value: perSecond(updates.length, ms),
      note: `${updates.length} appends, ${cpuEach(cpuUs, updates.length, postgresCpuUs)}`,
    });
  });
  await withStorage(sync, async ({ docs }) => {
    const { ms, cpuUs, postgresCpuUs } = await measured(() => Promise.all(updates.map((u) => docs.append("bench/burst", u))).then(() => undefined), sync);
    report({
      measure: `1 room, burst (group commit), ${label}`,
      value: perSecond(updates.length, ms),
      note: `${updates.length} appends, ${cpuEach(cpuUs, updates.length, postgresCpuUs)}`,
    });
  });
  const perRoom = typingUpdates(SETTINGS.appendsPerRoom);
  await withStorage(sync, async ({ docs }) => {
    const room = async (r: number) => {
      for (const update of perRoom) await docs.append(`bench/room-${r}`, update);
    };
    const { ms, cpuUs, postgresCpuUs } = await measured(
      () => Promise.all(Array.from({ length: SETTINGS.rooms }, (_, r) => room(r))).then(() => undefined),
      sync,
    );
    const total = SETTINGS.rooms * perRoom.length;
    report({
      measure: `${SETTINGS.rooms} rooms at once, each append awaited, ${label}`,
      value: perSecond(total, ms),
      note: `${total} appends, ${cpuEach(cpuUs, total, postgresCpuUs)}`,
    });
  });
}

/**
 * The fan-out bench's write load without the sockets: rooms appending at a steady rate each, not awaiting. `lazy`: the
 * appends of durability "fast" (`AppendOptions.lazy`: they may wait `commitIntervalMs` to share a commit).
 */
async function benchSteady(engine: "memory" | "leveldb" | "postgres", lazy = false): Promise<void> {
  const { steadyRooms: rooms, steadyRatePerRoom: rate, steadySeconds: seconds } = SETTINGS;
  const perRoom = typingUpdates(rate * seconds);
  const choice: EngineChoice = engine === "leveldb" ? true : engine;
  await withStorage(choice, async ({ docs }) => {
    const waits: number[] = [];
    const { cpuUs, postgresCpuUs } = await measured(async () => {
      const pending: Promise<void>[] = [];
      const started = performance.now();
      for (let i = 0; i < perRoom.length; i++) {
        // Each room's i-th update is due at i / rate seconds, the rooms spread over the interval.
        for (let r = 0; r < rooms; r++) {
          const due = started + ((i + r / rooms) * 1000) / rate;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          const sent = performance.now();
          pending.push(docs.append(`bench/steady-${r}`, perRoom[i]!, { lazy }).then(() => void waits.push(performance.now() - sent)));
        }
      }
      await Promise.all(pending);
    }, choice);
    waits.sort((a, b) => a - b);
    const p = (q: number) => waits[Math.min(waits.length - 1, Math.floor(q * waits.length))]!.toFixed(2);
    report({
      measure: `${rooms} rooms × ${rate} appends/s each for ${seconds} s, ${labelOf(choice)}${lazy ? ", lazy (durability fast)" : ""}`,
      value: cpuEach(cpuUs, waits.length, postgresCpuUs),
      note: `durable after p50 ${p(0.5)} ms, p99 ${p(0.99)} ms; ${((cpuUs / (seconds * 1e6)) * 100).toFixed(1)} % of a core`,
    });
  });
}

interface Trace {
  endContent: string;
  txns: Array<{ patches: Array<[number, number, string]> }>;
}

function readTrace(): Trace {
  if (!fs.existsSync(traceFile)) {
    throw new Error(`The editing traces are missing: expected ${traceFile} (the folder ../shared/data/editing-traces next to the repository).`);
  }
  return JSON.parse(zlib.gunzipSync(fs.readFileSync(traceFile)).toString("utf8")) as Trace;
}

/** One update per transaction of the trace, as an editor would have sent them. */
function traceUpdates(trace: Trace): Uint8Array[] {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  const text = doc.getText("text");
  for (const txn of trace.txns) {
    doc.transact(() => {
      for (const [pos, deleted, inserted] of txn.patches) {
        if (deleted > 0) text.delete(pos, deleted);
        if (inserted) text.insert(pos, inserted);
      }
    });
  }
  if (text.toString() !== trace.endContent) throw new Error("replaying the trace did not give its endContent");
  return updates;
}

/** Loads the document and builds a Y.Doc from it, checking the text; returns [load ms, load + apply ms]. */
async function timeLoad(storage: Storage, name: string, expected: string): Promise<[number, number]> {
  const started = performance.now();
  const state = await storage.docs.load(name);
  const loaded = performance.now();
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state!);
  const applied = performance.now();
  if (doc.getText("text").toString() !== expected) throw new Error("the loaded trace document differs from the trace");
  return [loaded - started, applied - started];
}

async function benchTrace(): Promise<void> {
  const trace = readTrace();
  const updates = traceUpdates(trace);
  const name = "bench/automerge-paper";
  await withStorage(false, async (storage) => {
    const storeMs = await timed(async () => {
      for (let i = 0; i < updates.length; i += SETTINGS.traceWindow) {
        await Promise.all(updates.slice(i, i + SETTINGS.traceWindow).map((u) => storage.docs.append(name, u)));
      }
    });
    const log = await storage.docs.stats(name);
    report({
      measure: "trace: store its update log",
      value: `${Math.round(storeMs)} ms`,
      note: `${updates.length.toLocaleString("en")} updates in ${log.updates.toLocaleString("en")} entries, ${kib(log.bytes)}`,
    });
    const [logLoad, logApply] = await timeLoad(storage, name, trace.endContent);
    report({ measure: "trace: load from the full update log", value: `${Math.round(logLoad)} ms`, note: `${Math.round(logApply)} ms with Y.applyUpdate` });
    const compactMs = await timed(() => storage.docs.compact(name));
    const snapshot = await storage.docs.stats(name);
    report({ measure: "trace: compact", value: `${Math.round(compactMs)} ms`, note: `${snapshot.updates} update, ${kib(snapshot.bytes)}` });
    const [snapLoad, snapApply] = await timeLoad(storage, name, trace.endContent);
    report({ measure: "trace: load after compaction", value: `${Math.round(snapLoad)} ms`, note: `${Math.round(snapApply)} ms with Y.applyUpdate` });
  });
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

function printTable(): void {
  const widths = (["measure", "value", "note"] as const).map((k) => Math.max(k.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(line(["measure", "value", "note"]));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) console.log(line([row.measure, row.value, row.note]));
}

try {
  console.log(`yparty store benchmark: node ${process.version}, ${os.cpus().length} cores, temp folders in ${os.tmpdir()}`);
  if (process.argv.includes("--postgres")) {
    // The durable runs only, LevelDB and PostgreSQL one after the other in one process (a loaded machine: compare ratios).
    await postgres();
    await benchAppends(true);
    await benchAppends("postgres");
    await benchSteady("memory");
    await benchSteady("leveldb", true);
    await benchSteady("postgres");
    await benchSteady("postgres", true);
  } else {
    await benchAppends(false);
    await benchAppends(true);
    await benchSteady("memory");
    await benchSteady("leveldb");
    await benchSteady("leveldb", true);
    if (!process.argv.includes("--no-trace")) await benchTrace();
  }
  printTable();
} finally {
  await Promise.all(tempDirs.map((dir) => fsp.rm(dir, { recursive: true, force: true })));
  await stopAllEngines();
}
