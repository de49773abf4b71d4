/**
 * `node --import tsx bench/heap-per-connection.ts [server-id] [connections]`: what a server keeps per idle
 * connection, by constructor. Takes a heap snapshot of the server child (via --heapsnapshot-signal) with no
 * client and again with N idle clients (full handshake, 100 rooms), and prints the retained-by-type delta
 * (self sizes) per connection, counted from one client per room on (the idle scenario measures from its first
 * step too), so rooms and the code first connects compile are left out. Where RSS per connection misses its
 * target, this says which objects to shed. KEEP_SNAPSHOTS=1 keeps the two snapshot files (in the cwd).
 * It also prints what the N connects cost the server: CPU time and write syscalls per connect (from /proc), and the
 * bytes its heap allocated per connect, garbage included (./alloc-probe.cjs: what young-generation growth follows).
 */
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { closeAll, connectMany } from "./client/pool.js";
import { BenchError } from "./errors.js";
import { cpuSeconds, writeCalls } from "./proc.js";
import { serverById, type ServerId } from "./servers/catalog.js";
import { setProfileFlags, startTarget } from "./target.js";
import { pause } from "./timing.js";

const ROOMS = 100;
/** Rows shown. */
const TOP = 25;
/** Writing a snapshot of a ~100 MB heap takes a few seconds. */
const SNAPSHOT_TIMEOUT_MS = 60_000;
const SNAPSHOT_POLL_MS = 300;

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

const ALLOC_PROBE = fileURLToPath(new URL("./alloc-probe.cjs", import.meta.url));

/** Self size per "type:name" (constructor name for objects). */
async function sizesByType(file: string): Promise<Map<string, { bytes: number; count: number }>> {
  const heap = JSON.parse(await readFile(file, "utf8")) as HeapSnapshot;
  const fields = heap.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((field) => fields.indexOf(field)) as [number, number, number];
  const types = heap.snapshot.meta.node_types[0];
  const sizes = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = types[heap.nodes[i + typeAt] as number] as string;
    const name = type === "object" || type === "native" ? (heap.strings[heap.nodes[i + nameAt] as number] as string) : `(${type})`;
    const entry = sizes.get(name) ?? { bytes: 0, count: 0 };
    entry.bytes += heap.nodes[i + sizeAt] as number;
    entry.count++;
    sizes.set(name, entry);
  }
  return sizes;
}

/** Polls `look` until it returns a value (the child writes its files in its own time), or fails after the timeout. */
async function pollFor<T>(what: string, look: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + SNAPSHOT_TIMEOUT_MS;
  while (performance.now() < deadline) {
    await pause(SNAPSHOT_POLL_MS);
    const found = await look();
    if (found !== undefined) return found;
  }
  throw new BenchError("ERR_TIMEOUT", `no ${what} within ${SNAPSHOT_TIMEOUT_MS} ms`);
}

/** Signals the child to write a heap snapshot into `dir` and returns the new file once it is complete. */
async function snapshot(pid: number, dir: string, before: Set<string>): Promise<string> {
  process.kill(pid, "SIGUSR2");
  let lastSize = -1;
  return pollFor("complete heap snapshot", async () => {
    const file = (await readdir(dir)).find((name) => name.endsWith(".heapsnapshot") && !before.has(name));
    if (!file) return undefined;
    // The file appears before it is complete: done once its size stops changing.
    const { size } = await stat(join(dir, file));
    const complete = size > 0 && size === lastSize;
    lastSize = size;
    if (!complete) return undefined;
    before.add(file);
    return join(dir, file);
  });
}

/** Asks the child's allocation probe for the bytes allocated since its first signal (and stops it). */
async function allocatedBytes(pid: number): Promise<number> {
  const file = join(dir, `alloc-${pid}.json`);
  process.kill(pid, "SIGWINCH");
  const written = await pollFor("allocation count", () => readFile(file, "utf8").catch(() => undefined));
  await rm(file, { force: true });
  return (JSON.parse(written) as { bytes: number }).bytes;
}

const id = (process.argv[2] ?? "yparty-memory") as ServerId;
const connections = Number(process.argv[3] ?? 1000);
const dir = process.cwd();
// The flag makes the child run as a bundle (./servers/bundle.ts), like a profiled one.
// Snapshots go to `dir` whatever the child's working folder (`yparty start` runs in a temp folder of its own).
setProfileFlags(() => ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${dir}`, `--require=${ALLOC_PROBE}`]);
process.env.ALLOC_PROBE_DIR = dir;
const target = await startTarget(serverById(id));
const seen = new Set((await readdir(dir)).filter((name) => name.endsWith(".heapsnapshot")));
const files: string[] = [];
try {
  // One client per room first, as the idle scenario measures from 250 connections on: the rooms, their documents
  // and the code the first connects compile are not per-connection costs.
  const warm = await connectMany(target, ROOMS, 50, (i) => `heap-${i % ROOMS}`);
  files.push(await snapshot(target.server.pid, dir, seen));
  const pid = target.server.pid;
  process.kill(pid, "SIGWINCH"); // the probe starts counting
  const [cpuBefore, writesBefore] = [cpuSeconds(pid), writeCalls(pid)];
  const clients = await connectMany(target, connections, 50, (i) => `heap-${i % ROOMS}`);
  const [cpuAfter, writesAfter] = [cpuSeconds(pid), writeCalls(pid)];
  const allocated = await allocatedBytes(pid);
  files.push(await snapshot(pid, dir, seen));
  await closeAll([...warm, ...clients]);
  const empty = await sizesByType(files[0] as string);
  const full = await sizesByType(files[1] as string);
  const rows = [...full].map(([name, { bytes, count }]) => ({
    name,
    bytes: bytes - (empty.get(name)?.bytes ?? 0),
    count: count - (empty.get(name)?.count ?? 0),
  }));
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  const cpuMicros = ((cpuAfter - cpuBefore) * 1e6) / connections;
  const writes = (writesAfter.calls - writesBefore.calls) / connections;
  const allocatedKb = allocated / connections / 1024;
  process.stdout.write(
    `${id}: per connect ${cpuMicros.toFixed(0)} µs of server CPU, ${writes.toFixed(2)} write syscalls, ${allocatedKb.toFixed(1)} KB allocated\n`,
  );
  process.stdout.write(`${id}: heap +${(total / connections).toFixed(0)} bytes per connection (${connections} connections)\n`);
  for (const row of rows.sort((a, b) => b.bytes - a.bytes).slice(0, TOP)) {
    process.stdout.write(
      `${(row.bytes / connections).toFixed(0).padStart(7)} B/conn  ${(row.count / connections).toFixed(1).padStart(6)} objs/conn  ${row.name}\n`,
    );
  }
} finally {
  // The files go even when stopping the child fails.
  if (process.env.KEEP_SNAPSHOTS) process.stdout.write(`snapshots kept: ${files.join(" ")}\n`);
  else await Promise.all(files.map((file) => rm(file, { force: true })));
  await target.stop();
}
