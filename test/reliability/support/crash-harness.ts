/**
 * The crash tests' harness: a yparty server in a child process on a LevelDB folder (crash-server.ts), killed with
 * SIGKILL and started again on the same folder; clients that write one token per update and count acks; and a read
 * of what a room stored. `useCrashHarness()` kills leftover children and removes the folders after each test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import * as Y from "yjs";
import { afterEach, expect } from "vitest";
import { withTimeout } from "../../yjs/support/fake-client.js";

const children = new Set<ChildProcess>();
const folders = new Set<string>();
/** Registers the cleanup: every child killed, every folder removed, after each test. */
export function useCrashHarness(): void {
  afterEach(cleanUp);
}

async function cleanUp(): Promise<void> {
  for (const child of children) child.kill("SIGKILL");
  await Promise.all(
    [...children].map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once("exit", r)) : undefined)),
  );
  children.clear();
  await Promise.all([...folders].map((dir) => rm(dir, { recursive: true, force: true })));
  folders.clear();
}

/** A fresh data folder, removed after the test. */
export async function dataFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "yparty-crash-"));
  folders.add(dir);
  return dir;
}

/** Starts crash-server.ts on `dir` (`args` go after it) and resolves once it listens. */
export async function startServer(dir: string, ...args: string[]): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/reliability/support/crash-server.ts", dir, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  const line = await withTimeout(
    new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`the server exited with ${code} before listening`)));
    }),
    20_000,
    "the server to listen",
  );
  return { child, base: `127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
}

/** The tokens a room stored (its `tokens` array), read over HTTP; empty when it has no document. */
export async function storedTokens(base: string, { party, room }: { party: string; room: string }): Promise<Set<string>> {
  const res = await fetch(`http://${base}/parties/${party}/${room}?format=update`);
  if (res.status === 404) return new Set();
  expect(res.status, `${party}/${room} loads after the crash`).toBe(200);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await res.arrayBuffer()));
  return new Set(doc.getArray<string>("tokens").toArray());
}
