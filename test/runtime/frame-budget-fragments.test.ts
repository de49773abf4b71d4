/**
 * The frame budget (`limits.maxFrameBytesInFlight`) is a memory ceiling: what clients make the server hold for
 * messages they have not finished is at most the budget, and each socket's first 16 KiB. A message sent as many tiny
 * non-final fragments costs the server far more than its payload (a Buffer and its bookkeeping per fragment), so
 * counting its payload alone lets clients hold memory the budget never sees.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as tcpConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { pollUntil, waitFor } from "../helpers/server.js";

const MiB = 1024 * 1024;

let child: ChildProcess | undefined;
let dir: string | undefined;
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  child?.kill();
  child = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

interface Memory {
  heapUsed: number;
  arrayBuffers: number;
  rss: number;
}

async function startChild(limits: Record<string, number>): Promise<{ port: number; memory(): Promise<Memory> }> {
  dir = await mkdtemp(join(tmpdir(), "yparty-fragments-"));
  child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "test/yjs/support/memory-server.ts", dir, JSON.stringify(limits)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await waitFor(
    new Promise<string>((resolve) => createInterface({ input: child!.stdout! }).once("line", resolve)),
    "the server to listen",
    20_000,
  );
  const { port } = JSON.parse(line) as { port: number };
  return { port, memory: async () => (await (await fetch(`http://127.0.0.1:${port}/__memory`)).json()) as Memory };
}

/** Upgrades a raw socket; resolves once the server answered 101. */
function rawSocket(port: number, path: string): Promise<Socket> {
  const socket = tcpConnect(port, "127.0.0.1");
  sockets.add(socket);
  socket.on("error", () => {});
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  return waitFor(new Promise<Socket>((resolve) => socket.once("data", () => resolve(socket))), `the upgrade of ${path}`);
}

/** `count` masked (mask 0) non-final fragments of one payload byte each: the first binary, the rest continuations. */
function tinyFragments(count: number): Buffer {
  const bytes = Buffer.alloc(count * 7);
  for (let i = 0; i < count; i++) {
    bytes[i * 7] = i === 0 ? 0x02 : 0x00; // FIN clear
    bytes[i * 7 + 1] = 0x80 | 1; // masked, 1 byte
    bytes[i * 7 + 6] = 0x61;
  }
  return bytes;
}

/** A masked ping (mask 0): the server answers it with a pong once it has read all that came before. */
const PING = Buffer.from([0x89, 0x80, 0, 0, 0, 0]);

describe("the frame budget and tiny fragments", () => {
  it("clients that send messages of 16 000 one-byte fragments and stop hold at most the budget", async () => {
    const budget = 16 * MiB;
    const { port, memory } = await startChild({ maxFrameBytesInFlight: budget });
    const before = await memory();
    const clients = 100;
    // Each: 16 000 payload bytes (under the 16 KiB each socket has free), 112 KB on the wire; then a ping.
    const message = Buffer.concat([tinyFragments(16_000), PING]);
    await Promise.all(
      Array.from({ length: clients }, async (_, i) => {
        const socket = await rawSocket(port, `/parties/main/fragments-${i % 4}`);
        const answered = new Promise<void>((resolve) => {
          let seen = Buffer.alloc(0);
          socket.on("data", (chunk: Buffer) => {
            seen = Buffer.concat([seen, chunk]);
            if (seen.includes(Buffer.from([0x8a, 0x00]))) resolve(); // the pong
          });
          socket.once("close", () => resolve());
        });
        socket.write(message);
        await waitFor(answered, "the server to read the fragments", 60_000);
      }),
    );
    // The budget and each socket's uncounted 16 KiB plus a last read, once the refused sockets are closed and
    // collected (before: 184 MB, for good).
    const held = async () => {
      const now = await memory();
      return now.heapUsed + now.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    };
    await pollUntil("the server to hold at most the budget", async () => ((await held()) < budget + clients * 128 * 1024 ? true : undefined), 30_000);
  }, 120_000);
});
