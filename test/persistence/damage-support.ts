/**
 * Support for the storage-damage tests: a real `yparty start` on a data folder, acknowledged updates POSTed to it,
 * the LevelDB files damaged the ways disks and people damage them, and what each room answers afterwards.
 */
import * as fs from "node:fs/promises";
import { afterEach } from "vitest";
import * as path from "node:path";
import WebSocket from "ws";
import * as Y from "yjs";
import { CliProcess, runCli, type CliResult } from "../cli/helpers.js";
import { makeTempDir, removeDir } from "./helpers.js";

/** Bytes of each update's value: a few dozen updates fill several 32 KiB blocks of LevelDB's log. */
const VALUE_BYTES = 1024;

/** The servers a damage test starts and the folders it makes: killed and removed after each test. */
export function damageWorkspace(): { running: Set<CliProcess>; tempDir(): Promise<string> } {
  const running = new Set<CliProcess>();
  const dirs: string[] = [];
  afterEach(async () => {
    for (const cli of running) await cli.stop("SIGKILL");
    running.clear();
    await Promise.all(dirs.splice(0).map(removeDir));
  });
  return {
    running,
    async tempDir() {
      const dir = await makeTempDir();
      dirs.push(dir);
      return dir;
    },
  };
}

export interface RunningServer {
  cli: CliProcess;
  url: string;
}

export async function startServer(dir: string, running: Set<CliProcess>): Promise<RunningServer> {
  const cli = new CliProcess(["start", "--port", "0", "--persist", dir], { cwd: dir });
  running.add(cli);
  return { cli, url: await cli.url() };
}

/** POSTs `count` updates to `room`, one after another, each setting `k<i>`; every one must be answered 200. */
export async function postUpdates(url: string, room: string, count: number, first = 0): Promise<void> {
  const doc = new Y.Doc();
  for (let i = first; i < first + count; i++) {
    let update: Uint8Array | undefined;
    doc.once("update", (u: Uint8Array) => (update = u));
    doc.getMap("m").set(`k${i}`, `${i}:`.padEnd(VALUE_BYTES, "x"));
    const response = await postUpdate(url, room, update!);
    if (response.status !== 200) throw new Error(`POST ${i} to ${room} answered ${response.status}: ${await response.text()}`);
  }
}

export function postUpdate(url: string, room: string, update: Uint8Array): Promise<Response> {
  return fetch(`${url}/parties/main/${room}`, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: update as Uint8Array<ArrayBuffer>,
  });
}

export interface RoomAnswer {
  status: number;
  code?: string;
  /** Keys of the map, when the room answered 200. */
  keys?: number;
}

/** What `GET` of the room's JSON answers. */
export async function roomAnswer(url: string, room: string): Promise<RoomAnswer> {
  const response = await fetch(`${url}/parties/main/${room}`);
  const body = (await response.json()) as { m?: Record<string, unknown>; error?: { code: string } };
  if (response.status === 200) return { status: 200, keys: Object.keys(body.m ?? {}).length };
  return { status: response.status, ...(body.error ? { code: body.error.code } : {}) };
}

/** How the server ends a WebSocket to the room (or `open` when it keeps it). */
export async function socketClose(url: string, room: string, ms = 10_000): Promise<{ code: number; reason: string } | "open"> {
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/parties/main/${room}`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      resolve("open");
    }, ms);
    socket.once("close", (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
    socket.once("message", () => {
      clearTimeout(timer); // greeted: the room is served
      socket.close();
      resolve("open");
    });
    socket.once("error", reject);
  });
}

/** The largest LevelDB file of `extension` (`log`: the write-ahead log; `ldb`: a table): the one the rooms under test are in. */
export async function largestFile(dir: string, extension: "log" | "ldb"): Promise<string> {
  const names = (await fs.readdir(dir)).filter((name) => /^\d+\./.test(name) && name.endsWith(`.${extension}`));
  const sized = await Promise.all(names.map(async (name) => ({ name, size: (await fs.stat(path.join(dir, name))).size })));
  sized.sort((a, b) => b.size - a.size || b.name.localeCompare(a.name));
  if (!sized[0] || sized[0].size === 0) throw new Error(`no non-empty .${extension} file in ${dir}: ${names.join(", ")}`);
  return path.join(dir, sized[0].name);
}

/** Inverts `count` bytes at `fraction` of the file. */
export async function flipBytes(file: string, fraction: number, count = 16): Promise<void> {
  const handle = await fs.open(file, "r+");
  try {
    const { size } = await handle.stat();
    const at = Math.floor(size * fraction);
    const bytes = Buffer.alloc(count);
    await handle.read(bytes, 0, count, at);
    for (let i = 0; i < count; i++) bytes[i] = bytes[i]! ^ 0xff;
    await handle.write(bytes, 0, count, at);
  } finally {
    await handle.close();
  }
}

export async function truncateTo(file: string, fraction: number): Promise<void> {
  const { size } = await fs.stat(file);
  await fs.truncate(file, Math.floor(size * fraction));
}

export const doctor = (dir: string): Promise<CliResult> => runCli(["doctor", "--persist", dir], { cwd: dir, timeoutMs: 60_000 });
export const repair = (dir: string): Promise<CliResult> => runCli(["repair", "--persist", dir], { cwd: dir, timeoutMs: 60_000 });

/** The server's JSON log lines of `event`. */
export function logEvents(cli: CliProcess, event: string): Array<Record<string, unknown>> {
  return cli.stdout
    .split("\n")
    .filter((line) => line.includes(`"${event}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
