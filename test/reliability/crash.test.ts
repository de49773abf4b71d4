/**
 * `kill -9` of a loaded server, again and again on one data folder, landing during writes, during the log merges
 * of a history room, and during the unloads (flush and merge) that churning clients cause. After each restart,
 * every update the server acknowledged is there, and every room loads.
 *
 * Rounds: 3 in `npm test`; `YPARTY_CRASH_ROUNDS=50 npx vitest run test/reliability/crash.test.ts` for a long run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import WebSocket from "ws";
import * as Y from "yjs";
import { afterEach, describe, expect, it } from "vitest";
import { ACK_PARAM, decodeMessage, encodeUpdate } from "../../src/protocol/index.js";
import { withTimeout } from "../yjs/support/fake-client.js";

const ROUNDS = Number(process.env.YPARTY_CRASH_ROUNDS ?? 3);
const ROOMS = [
  { party: "main", room: "steady-0" },
  { party: "main", room: "steady-1" },
  { party: "history", room: "steady-2" },
  { party: "history", room: "steady-3" },
];
const CHURN_ROOMS = [
  { party: "main", room: "churn-0" },
  { party: "history", room: "churn-1" },
];

const children = new Set<ChildProcess>();
const folders = new Set<string>();
afterEach(async () => {
  for (const child of children) child.kill("SIGKILL");
  await Promise.all([...children].map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once("exit", r)) : undefined)));
  children.clear();
  await Promise.all([...folders].map((dir) => rm(dir, { recursive: true, force: true })));
  folders.clear();
});

async function startServer(dir: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/reliability/support/crash-server.ts", dir], { stdio: ["ignore", "pipe", "inherit"] });
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
class AckedWriter {
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

async function storedTokens(base: string, { party, room }: { party: string; room: string }): Promise<Set<string>> {
  const res = await fetch(`http://${base}/parties/${party}/${room}?format=update`);
  if (res.status === 404) return new Set();
  expect(res.status, `${party}/${room} loads after the crash`).toBe(200);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await res.arrayBuffer()));
  return new Set(doc.getArray<string>("tokens").toArray());
}

describe("kill -9 under load, during merges and during unloads", () => {
  it(`loses no acknowledged update across ${ROUNDS} kills on one data folder`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "yparty-crash-"));
    folders.add(dir);
    const acknowledged = new Map<string, Set<string>>(); // "party/room" → every token ever acknowledged there
    const remember = (target: { party: string; room: string }, tokens: string[]) => {
      const key = `${target.party}/${target.room}`;
      const set = acknowledged.get(key) ?? new Set<string>();
      for (const token of tokens) set.add(token);
      acknowledged.set(key, set);
    };
    let acksAtKills = 0;
    let visits = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const { child, base } = await startServer(dir);
      let running = true;
      let total = 0;

      // Steady writers: one per room, a token per update, a pause for the acks every 25.
      const steady = ROOMS.map((target, w) => {
        const writer = new AckedWriter(base, target);
        const pump = (async () => {
          await writer.opened.catch(() => {});
          for (let n = 0; running && writer.open; n++) {
            writer.write(`r${round}-w${w}-${n}`);
            if (n % 25 === 24) await writer.settled();
            total++;
          }
        })();
        return { target, writer, pump };
      });

      // Churn: connect, write three tokens, wait for their acks, leave (the room unloads: flush and merge).
      const churned: Array<{ target: { party: string; room: string }; writer: AckedWriter }> = [];
      const churn = CHURN_ROOMS.map((target, c) =>
        (async () => {
          for (let visit = 0; running; visit++) {
            const writer = new AckedWriter(base, target);
            churned.push({ target, writer });
            await writer.opened.catch(() => {});
            if (!writer.open) return;
            for (let n = 0; n < 3; n++) writer.write(`r${round}-c${c}-${visit}-${n}`);
            await writer.settled();
            writer.close();
            await writer.closed;
          }
        })(),
      );

      // Kill at a point that differs from round to round, once enough has been acknowledged to matter.
      const killAfter = 150 + ((round * 97) % 400);
      await withTimeout(
        (async () => {
          while (steady.reduce((sum, s) => sum + s.writer.acknowledged.length, 0) < killAfter) {
            await Promise.race(steady.map((s) => s.writer.settled()));
            await new Promise((resolve) => setImmediate(resolve));
          }
        })(),
        30_000,
        `${killAfter} acknowledged updates in round ${round}`,
      );
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      running = false;
      await Promise.all([...steady.map((s) => s.pump), ...churn]);
      for (const { target, writer } of steady) remember(target, writer.acknowledged);
      for (const { target, writer } of churned) remember(target, writer.acknowledged);
      visits += churned.length;
      acksAtKills += steady.reduce((sum, s) => sum + s.writer.acknowledged.length, 0);
      expect(total).toBeGreaterThan(0);

      // Back up on the same folder: every acknowledged token is stored, in every room.
      const { child: restarted, base: again } = await startServer(dir);
      for (const target of [...ROOMS, ...CHURN_ROOMS]) {
        const stored = await storedTokens(again, target);
        const missing = [...(acknowledged.get(`${target.party}/${target.room}`) ?? [])].filter((token) => !stored.has(token));
        expect(missing, `acknowledged but lost in ${target.party}/${target.room} after kill ${round + 1}`).toEqual([]);
      }
      restarted.kill("SIGKILL");
      await new Promise((resolve) => restarted.once("exit", resolve));
    }
    expect(acksAtKills).toBeGreaterThanOrEqual(150 * ROUNDS);
    expect(visits, "churning clients made rooms unload in every round").toBeGreaterThan(2 * ROUNDS);
  }, 60_000 + ROUNDS * 20_000);
});
