/**
 * test/yjs/support/memory-server.ts in a child process, for the tests that measure what a server holds: in the test's
 * own process, vitest, the clients and the test's buffers would count too, and `--expose-gc` lets every reading
 * collect garbage first.
 *
 *   startMemoryChild(limits, documentLimits?) → { port, base, memory(when?) }
 *     Spawns the server (`--expose-gc --import tsx`) on a fresh temp folder and waits for its first stdout line,
 *     `{ "port": n }`. `memory(when)` fetches `/__memory` (`?idle`, `?slicing`, `?nogc`, `?slicing&nogc`: see
 *     memory-server.ts).
 *   stopMemoryChildren() — kills every child these helpers started and removes its folder (afterEach).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { waitFor } from "./server.js";

/** What `GET /__memory` answers (bytes). */
export interface Memory {
  rss: number;
  /** The most RSS the server process ever had. */
  maxRss: number;
  heapUsed: number;
  external: number;
  /** Bytes of ArrayBuffers (frames held are). */
  arrayBuffers: number;
  /** Live rooms. */
  rooms: number;
  /** Memory usage as the last update applied in slices was all in (before the frames held meanwhile were handled). */
  whenSliced?: { rss: number; arrayBuffers: number };
}

/** When `/__memory` answers: once no room is live, once a room applies an update in slices; `nogc`: no collection first. */
export type MemoryWhen = "idle" | "slicing" | "nogc" | "slicing&nogc";

export interface MemoryChild {
  port: number;
  /** `http://127.0.0.1:<port>` */
  base: string;
  memory(when?: MemoryWhen): Promise<Memory>;
}

const children = new Map<ChildProcess, string>();

export async function startMemoryChild(limits: Record<string, number>, documentLimits: Record<string, number> = {}): Promise<MemoryChild> {
  const dir = await mkdtemp(join(tmpdir(), "yparty-memory-"));
  const child = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", "test/yjs/support/memory-server.ts", dir, JSON.stringify(limits), JSON.stringify(documentLimits)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.set(child, dir);
  const line = await waitFor(new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once("line", resolve)), "the server to listen", 20_000);
  const { port } = JSON.parse(line) as { port: number };
  const base = `http://127.0.0.1:${port}`;
  return { port, base, memory: async (when) => (await (await fetch(`${base}/__memory${when ? `?${when}` : ""}`)).json()) as Memory };
}

export async function stopMemoryChildren(): Promise<void> {
  for (const [child, dir] of children) {
    children.delete(child);
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}
