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
import WebSocket from "ws";
import * as Y from "yjs";
import { afterEach, expect } from "vitest";
import { ACK_PARAM, decodeMessage, encodeUpdate } from "../../../src/protocol/index.js";
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

/**
 * A client that writes one token per update into the room's array `tokens` and records which of them the server
 * acknowledged as stored (the ack counts this connection's updates in order).
 */
export class AckedWriter {
  readonly #socket: WebSocket;
  readonly #doc = new Y.Doc();
  readonly #sent: string[] = [];
  #acked = 0;
  #waiters: Array<() => void> = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;

  constructor(base: string, { party, room }: { party: string; room: string }) {
    this.#socket = new WebSocket(`ws://${base}/parties/${party}/${room}?${ACK_PARAM}=1`);
    this.opened = new Promise((resolve, reject) => {
      this.#socket.once("open", () => resolve());
      this.#socket.once("error", reject);
    });
    this.opened.catch(() => {}); // a kill may land before the socket opens; `closed` reports it too
    this.closed = new Promise((resolve) => this.#socket.once("close", () => resolve()));
    this.#socket.on("error", () => {}); // the kill resets the socket: expected here
    this.#socket.on("message", (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const message = decodeMessage(new Uint8Array(data));
      if (message.type !== "durable-ack") return;
      this.#acked = Math.max(this.#acked, message.count);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.#doc.on("update", (update: Uint8Array) => this.#socket.send(encodeUpdate(update)));
  }

  get open(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }

  write(token: string): void {
    this.#sent.push(token);
    this.#doc.getArray<string>("tokens").push([token]);
  }

  /** The tokens the server said it stored. */
  get acknowledged(): string[] {
    return this.#sent.slice(0, this.#acked);
  }

  /** Resolves once everything written so far is acknowledged, or the socket closed. */
  settled(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (this.#acked >= this.#sent.length || !this.open ? resolve() : this.#waiters.push(check));
      check();
      void this.closed.then(resolve);
    });
  }

  close(): void {
    this.#socket.close();
  }
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
