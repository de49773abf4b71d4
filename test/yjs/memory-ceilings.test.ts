/**
 * Memory ceilings of a DocumentParty server in its own process (garbage collected before each reading):
 * requests for rooms that have no document leave no live room behind, and rooms made by POSTs go away, with
 * their memory, once idle. Figures measured before and after these ceilings: docs/reliability.md.
 *
 * Each baseline is read after a warm-up round of the same requests: the first round compiles the code it runs,
 * and V8 keeps that code (bytecode, feedback, optimized code: 1.4–3.2 MiB here, depending on what the machine let
 * V8 optimize). Heap snapshots showed nothing else kept, so the ceilings measure what rooms leave behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { waitFor } from "../helpers/server.js";

const MiB = 1024 * 1024;
const REQUESTS = 300;
const WARM_UP = 150;
const CONCURRENCY = 40;

interface Memory {
  rss: number;
  heapUsed: number;
  rooms: number;
}

let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  child?.kill();
  child = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function startChild(limits: Record<string, number>): Promise<{ base: string; memory(when?: "idle"): Promise<Memory> }> {
  dir = await mkdtemp(join(tmpdir(), "yparty-memory-"));
  child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "test/yjs/support/memory-server.ts", dir, JSON.stringify(limits)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await waitFor(
    new Promise<string>((resolve) => createInterface({ input: child!.stdout! }).once("line", resolve)),
    "the server to listen",
    20_000,
  );
  const base = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
  return { base, memory: async (when) => (await (await fetch(`${base}/__memory${when ? `?${when}` : ""}`)).json()) as Memory };
}

/** Runs `request(i)` for i in from..from+count-1, `CONCURRENCY` at a time, each awaited before its slot takes the next. */
async function inParallel(from: number, count: number, request: (i: number) => Promise<void>): Promise<void> {
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) await request(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

describe("memory ceilings", () => {
  it("GET and HEAD of rooms that have no document leave no live room and no memory behind", async () => {
    const { base, memory } = await startChild({});
    const ask = async (i: number) => {
      const res = await fetch(`${base}/parties/main/unknown-${i}`, { method: i % 2 === 0 ? "GET" : "HEAD" });
      await res.arrayBuffer();
      expect(res.status).toBe(404);
    };
    await inParallel(0, WARM_UP, ask);
    const before = await memory();
    await inParallel(WARM_UP, REQUESTS, ask);
    const after = await memory();
    expect(after.rooms).toBe(0);
    // Before: every request left a live room for idleUnloadMs (~19 KB of heap each, +5.6 MiB here).
    expect(after.heapUsed - before.heapUsed).toBeLessThan(1.5 * MiB);
    expect(after.rss - before.rss).toBeLessThan(64 * MiB);
  }, 60_000);

  it("rooms made by POSTs stay loaded only up to maxIdleRooms, and once idle they go, with their memory", async () => {
    const maxIdleRooms = 50;
    const { base, memory } = await startChild({ maxIdleRooms, idleUnloadMs: 1_000 });
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "hello world ".repeat(20));
    const update = Y.encodeStateAsUpdate(doc) as Uint8Array<ArrayBuffer>;
    const post = async (i: number) => {
      const res = await fetch(`${base}/parties/main/posted-${i}`, { method: "POST", body: update, headers: { "Content-Type": "application/octet-stream" } });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
    };
    await inParallel(0, WARM_UP, post);
    const before = await waitFor(memory("idle"), "the warm-up's rooms to unload", 20_000);
    await inParallel(WARM_UP, REQUESTS, post);
    const loaded = await memory();
    expect(loaded.rooms).toBeLessThanOrEqual(maxIdleRooms);
    // ~31 KB of heap per loaded room: 50 rooms at most instead of every room posted to in the last idleUnloadMs.
    expect(loaded.heapUsed - before.heapUsed).toBeLessThan(5 * MiB);
    const idle = await waitFor(memory("idle"), "every room to unload", 20_000);
    // 5 KB per room posted to: a room that kept a sixth of its ~31 KB would cross it.
    expect(idle.heapUsed - before.heapUsed).toBeLessThan(1.5 * MiB);
    expect(idle.rss - before.rss).toBeLessThan(64 * MiB);
  }, 60_000);
});
