/**
 * What a server holds while PostgreSQL is away and clients keep writing: every change applied and not stored waits in
 * memory, so without a ceiling the server grows for as long as the outage lasts. A server in its own process
 * (fixtures/pg-memory-server.ts, `--expose-gc`) with `documentLimits.maxUnstoredBytes` of 8 MiB, PostgreSQL frozen
 * (SIGSTOP), one client sending 48 MiB of changes: the server refuses them past the ceiling (close 1013,
 * ERR_STORAGE_BACKLOG), its memory stays bounded, and once PostgreSQL thaws everything it took is stored and new
 * changes are taken again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, afterEach, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { encodeUpdate } from "../../src/protocol/index.js";
import { processTree, stopAllEngines } from "../helpers/engines.js";
import { pollUntil, waitFor } from "../helpers/server.js";
import { TokenWriter } from "../helpers/token-writer.js";
import { freshDatabase } from "./postgres-helpers.js";

const MiB = 1024 * 1024;
const CEILING = 8 * MiB;
const SENT = 48 * MiB;
const VALUE = "v".repeat(4096);

afterAll(stopAllEngines);
const children: ChildProcess[] = [];
const frozen: number[] = [];
afterEach(() => {
  for (const pid of frozen.splice(0)) process.kill(pid, "SIGCONT");
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

interface Memory {
  heapUsed: number;
  arrayBuffers: number;
  unstored: number;
}

async function startChild(url: string): Promise<{ base: string; memory(): Promise<Memory> }> {
  const child = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", "test/persistence/fixtures/pg-memory-server.ts", url, "2000", JSON.stringify({ maxUnstoredBytes: CEILING })],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  const line = await waitFor(new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once("line", resolve)), "the server to listen", 20_000);
  const base = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
  return { base, memory: async () => (await (await fetch(`${base}/__memory`)).json()) as Memory };
}

it("refuses changes past maxUnstoredBytes while PostgreSQL is frozen, stays bounded, and takes them again once it thaws", { timeout: 120_000 }, async () => {
  const { url, engine } = await freshDatabase();
  const server = await startChild(url);
  const first = new TokenWriter(server.base.replace("http://", ""), "main", "room");
  await first.opened;
  first.write("stored-first");
  await waitFor(first.settled(), "the first token to be acknowledged");
  const held = async () => {
    const memory = await server.memory();
    return memory.heapUsed + memory.arrayBuffers;
  };
  const baseline = await held();

  frozen.push(...(await processTree(engine.pid)));
  for (const pid of frozen) process.kill(pid, "SIGSTOP");
  const socket = new WebSocket(`${server.base.replace("http", "ws")}/parties/main/room`);
  await new Promise((resolve) => socket.once("open", resolve));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const doc = new Y.Doc();
  /** Settles once the last change sent has been handed to the kernel (ws calls back when it is written). */
  let lastWritten: Promise<void> = Promise.resolve();
  doc.on("update", (update: Uint8Array) => {
    if (socket.readyState === WebSocket.OPEN) lastWritten = new Promise((resolve) => socket.send(encodeUpdate(update), () => resolve()));
  });
  // Distinct keys: every change adds to the document too, as typing does.
  for (let i = 0; i * VALUE.length < SENT && socket.readyState === WebSocket.OPEN; i++) {
    doc.getMap("m").set(`k${i}`, VALUE);
    if (socket.bufferedAmount > MiB) await lastWritten; // the server reads: what was sent drains
  }
  const { code, reason } = await waitFor(closed, "the server to refuse the changes past its ceiling", 30_000);
  expect(code).toBe(1013);
  expect(reason).toContain("ERR_STORAGE_BACKLOG");
  // What it holds: the changes it took, in the document and in the queue for the store (each about the ceiling), and
  // buffers they came in (measured: 11 MiB more heap and 17 MiB of buffers), not the 48 MiB sent, nor twice that.
  // Polled: buffers of the refused socket's last reads may take a moment to be let go.
  await pollUntil(
    `the server to hold less than ${(5 * CEILING) / MiB} MiB more than before`,
    async () => (await held()) < baseline + 5 * CEILING || undefined,
    10_000,
  );

  for (const pid of frozen.splice(0)) process.kill(pid, "SIGCONT");
  // The store catches up with what the server took (its clients reconnecting meanwhile are refused the same way).
  await pollUntil("the store to take every change it was behind on", async () => (await server.memory()).unstored === 0 || undefined, 30_000);
  const after = new TokenWriter(server.base.replace("http://", ""), "main", "room");
  await after.opened;
  after.write("after-the-thaw");
  await waitFor(after.settled(), "a change after the thaw to be acknowledged", 30_000);
  expect(after.acknowledged).toEqual(["after-the-thaw"]);
  first.close();
  after.close();
});
