/**
 * `node --import tsx bench/alloc-sites.ts [server-id] [connects]`: where a server allocates during a connect storm
 * (100 rooms warmed first, then N connects, 50 in flight), garbage included, by allocating function (self) and by
 * the functions on the stack (inclusive), per connect. Sampled (./alloc-sampler.cjs, one sample per 128 bytes on
 * average): the figures are estimates, good for ranking sites.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { closeAll, connectMany } from "./client/pool.js";
import { BenchError } from "./errors.js";
import { serverById, type ServerId } from "./servers/catalog.js";
import { setProfileFlags, startTarget } from "./target.js";
import { pause } from "./timing.js";

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

const ROOMS = 100;
const TOP = 30;
const id = (process.argv[2] ?? "yparty-memory") as ServerId;
const connections = Number(process.argv[3] ?? 2000);
const dir = process.cwd();
setProfileFlags(() => [`--require=${fileURLToPath(new URL("./alloc-sampler.cjs", import.meta.url))}`]);
process.env.ALLOC_PROBE_DIR = dir;

async function sampledProfile(pid: number): Promise<HeapNode> {
  const file = join(dir, `alloc-sites-${pid}.heapprofile`);
  process.kill(pid, "SIGWINCH");
  for (let waited = 0; waited < 60_000; waited += 300) {
    await pause(300);
    const written = await readFile(file, "utf8").catch(() => undefined);
    if (written === undefined) continue;
    await rm(file, { force: true });
    return (JSON.parse(written) as { head: HeapNode }).head;
  }
  throw new BenchError("ERR_TIMEOUT", "no allocation profile within 60 s");
}

const label = (node: HeapNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}`;
};

function tables(head: HeapNode): { self: Map<string, number>; inclusive: Map<string, number> } {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, bytes: number): void => void map.set(key, (map.get(key) ?? 0) + bytes);
  const walk = (node: HeapNode, stack: string[]): void => {
    const key = label(node);
    add(self, key, node.selfSize);
    const onStack = stack.includes(key) ? stack : [...stack, key];
    for (const frame of new Set(onStack)) add(inclusive, frame, node.selfSize);
    for (const child of node.children) walk(child, onStack);
  };
  walk(head, []);
  return { self, inclusive };
}

const target = await startTarget(serverById(id));
try {
  const warm = await connectMany(target, ROOMS, 50, (i) => `alloc-${i % ROOMS}`);
  process.kill(target.server.pid, "SIGWINCH");
  const clients = await connectMany(target, connections, 50, (i) => `alloc-${i % ROOMS}`);
  const { self, inclusive } = tables(await sampledProfile(target.server.pid));
  await closeAll([...warm, ...clients]);
  const show = (title: string, map: Map<string, number>): void => {
    process.stdout.write(`${id}: ${title}, bytes per connect\n`);
    for (const [key, bytes] of [...map].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
      process.stdout.write(`${(bytes / connections).toFixed(0).padStart(7)}  ${key}\n`);
    }
  };
  show("allocated by (self)", self);
  show("allocated under (inclusive)", inclusive);
} finally {
  await target.stop();
}
