/**
 * The server-wide budget of WebSocket messages read and not handled yet (`limits.maxFrameBytesInFlight`): clients
 * that stop partway through large frames, or send them while their room applies a large update, hold at most the
 * budget; the socket that would pass it is closed with 1013 (1009 when its message alone passes it) and what it sent
 * changes nothing; every other room keeps working.
 *
 * The attacking clients are raw TCP sockets that speak just enough WebSocket to send part of a frame: `ws` clients
 * cannot stop partway through one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as tcpConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { CloseCode, encodeUpdate } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, connect, pollUntil, startServer, waitFor } from "../helpers/server.js";

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
  await cleanupAll();
});

/** A client of raw bytes: the upgrade, then frames (or parts of one) as it is told; it reads the server's close. */
interface RawClient {
  socket: Socket;
  /** The code of the server's close frame (1006 if the socket closed without one). */
  closed: Promise<number>;
  /** Writes `bytes` and resolves once the kernel took them (never, if the server stopped reading). */
  write(bytes: Uint8Array): Promise<void>;
}

async function rawClient(port: number, path: string): Promise<RawClient> {
  const socket = tcpConnect(port, "127.0.0.1");
  sockets.add(socket);
  socket.on("error", () => {});
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  let buffered = Buffer.alloc(0);
  let upgraded = false;
  let onUpgrade!: () => void;
  const upgrade = new Promise<void>((resolve) => (onUpgrade = resolve));
  const closed = new Promise<number>((resolve) => {
    socket.on("close", () => resolve(1006));
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!upgraded) {
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        expect(buffered.subarray(0, 12).toString()).toBe("HTTP/1.1 101");
        buffered = buffered.subarray(end + 4);
        upgraded = true;
        onUpgrade();
      }
      // The server's frames, unmasked: skip all but a close, whose first two payload bytes are its code.
      for (;;) {
        if (buffered.length < 2) return;
        const opcode = buffered[0]! & 0x0f;
        let length = buffered[1]! & 0x7f;
        let at = 2;
        if (length === 126) {
          if (buffered.length < 4) return;
          length = buffered.readUInt16BE(2);
          at = 4;
        } else if (length === 127) {
          if (buffered.length < 10) return;
          length = Number(buffered.readBigUInt64BE(2));
          at = 10;
        }
        if (buffered.length < at + length) return;
        if (opcode === 8) return resolve(length >= 2 ? buffered.readUInt16BE(at) : 1005);
        buffered = buffered.subarray(at + length);
      }
    });
  });
  await waitFor(upgrade, `the upgrade of ${path}`);
  return {
    socket,
    closed,
    write: (bytes) => new Promise<void>((resolve) => socket.write(bytes, () => resolve())),
  };
}

/** The close codes of `clients` as they come (a socket the server cut without a close frame: 1006). */
function closeCodes(clients: RawClient[]): number[] {
  const codes: number[] = [];
  for (const client of clients) void client.closed.then((code) => codes.push(code));
  return codes;
}

/** The header of a masked binary frame (mask 0: the payload goes as it is) that says `length` bytes follow. */
function frameHeader(length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x82;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header; // bytes 10–13: the mask, zeros
}

/** A y-protocols update frame that inserts `length` characters `char` into the text `name`. */
function textFrame(name: string, char: string, length: number): Uint8Array {
  const doc = new Y.Doc();
  doc.getText(name).insert(0, char.repeat(length));
  return encodeUpdate(Y.encodeStateAsUpdate(doc));
}

/** Waits until `client`'s durable acknowledgements (yparty's message 100) count `count`. */
function acked(ws: WebSocket, count: number, what: string, ms = 30_000): Promise<void> {
  return waitFor(
    new Promise<void>((resolve) => {
      const check = (data: Buffer): void => {
        if (data[0] === 100 && data[1]! >= count) {
          ws.off("message", check);
          resolve();
        }
      };
      ws.on("message", check);
    }),
    what,
    ms,
  );
}

interface Memory {
  arrayBuffers: number;
  rss: number;
}

async function startChild(limits: Record<string, number>): Promise<{ port: number; memory(): Promise<Memory> }> {
  dir = await mkdtemp(join(tmpdir(), "yparty-frames-"));
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

describe("the budget of messages being received", () => {
  it("clients that stop partway through large frames hold at most the budget; the ones past it are closed with 1013, and other rooms keep working", async () => {
    const budget = 32 * MiB;
    const { port, memory } = await startChild({ maxFrameBytesInFlight: budget });
    const before = await memory();

    // 24 clients each send 6 MiB of an 8 MiB frame and stop: 144 MiB held for good before the budget.
    const clients = await Promise.all(Array.from({ length: 24 }, (_, i) => rawClient(port, `/parties/main/flood-${i % 3}`)));
    const part = Buffer.alloc(6 * MiB);
    // Four announcements of 8 MiB fit in 32 MiB; the next ones are refused before their bytes are read (then dropped).
    const codes = closeCodes(clients);
    await waitFor(Promise.all(clients.map(async (client) => client.write(Buffer.concat([frameHeader(8 * MiB), part])))), "the parts to be written", 30_000);
    await pollUntil("20 clients to be refused", async () => (codes.length >= 20 ? true : undefined), 30_000);
    expect(codes).toEqual(Array.from({ length: 20 }, () => CloseCode.TryAgainLater));
    // What the server goes on reading is all read in the end (before: all 24 parts were, 144 MiB, for good); what it
    // refused and dropped goes once their sockets are closed and collected.
    const ceiling = budget + 24 * 128 * 1024 + 4 * MiB;
    await pollUntil(
      "the server to hold the parts it takes, and no more",
      async () => {
        const held = (await memory()).arrayBuffers - before.arrayBuffers;
        return held >= 4 * 6 * MiB * 0.9 && held < ceiling ? true : undefined;
      },
      30_000,
    );
    expect(codes.length).toBe(20);

    // Another room works as ever: a client syncs, writes, and its update is acknowledged.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/parties/main/other?yparty_ack=1`);
    await waitFor(new Promise((resolve) => ws.once("open", resolve)), "the other room's client to open");
    ws.send(textFrame("t", "a", 100));
    await acked(ws, 1, "the other room's update to be acknowledged");

    // Once the flood is gone, a large message fits again.
    for (const client of clients) client.socket.destroy();
    await pollUntil("the flood's memory to go", async () => ((await memory()).arrayBuffers - before.arrayBuffers < 8 * MiB ? true : undefined), 30_000);
    ws.send(textFrame("big", "b", 6 * MiB));
    await acked(ws, 2, "the large update to be acknowledged");
    ws.close();
  }, 120_000);

  it("counts frames held while a room applies a large update: the socket past the budget is closed with 1013 and its update is not applied", async () => {
    const t = await startServer(
      { main: DocumentParty },
      { storage: "memory", limits: { maxFrameBytesInFlight: 8 * MiB }, documentLimits: { structsPerTurn: 4 } },
    );
    const writers = Array.from({ length: 6 }, () => new WebSocket(t.wsUrl("/parties/main/slicing?yparty_ack=1")));
    await Promise.all(writers.map((ws) => waitFor(new Promise((resolve) => ws.once("open", resolve)), "a writer to open")));
    const closes = writers.map((ws) => new Promise<number>((resolve) => ws.once("close", resolve)));

    // 100 000 map entries, 4 a turn: the room holds what its clients send for a few seconds.
    const big = new Y.Doc();
    big.transact(() => {
      for (let i = 0; i < 100_000; i++) big.getMap("m").set(`k${i}`, i);
    });
    const posted = fetch(`${t.url}/parties/main/slicing`, {
      method: "POST",
      body: Y.encodeStateAsUpdate(big) as Uint8Array<ArrayBuffer>,
      headers: { "Content-Type": "application/octet-stream" },
    });
    await t.logged("yjs.update_slicing", 20_000);
    // 3 MiB each: two fit in the budget, held until the slicing ends.
    writers.forEach((ws, i) => ws.send(textFrame(`w${i}`, "x", 3 * MiB)));
    const outcomes = await Promise.all(
      writers.map((ws, i) =>
        waitFor(
          Promise.race([closes[i]!.then((code) => ({ i, code })), acked(ws, 1, `writer ${i}'s ack`, 60_000).then(() => ({ i, code: 0 }))]),
          `writer ${i} to be acknowledged or closed`,
          60_000,
        ),
      ),
    );
    expect((await posted).status).toBe(200);
    const refused = outcomes.filter(({ code }) => code !== 0);
    const taken = outcomes.filter(({ code }) => code === 0);
    expect(refused.length).toBeGreaterThan(0);
    expect(taken.length).toBeGreaterThan(0);
    for (const { code } of refused) expect(code).toBe(CloseCode.TryAgainLater);

    const doc = new Y.Doc();
    Y.applyUpdate(doc, new Uint8Array(await (await fetch(`${t.url}/parties/main/slicing?format=update`)).arrayBuffer()));
    expect(doc.getMap("m").size).toBe(100_000);
    for (const { i } of taken) expect(doc.getText(`w${i}`).length).toBe(3 * MiB);
    for (const { i } of refused) expect(doc.getText(`w${i}`).length).toBe(0);
    for (const ws of writers) ws.close();
  }, 120_000);

  it("closes a socket whose message alone passes the budget with 1009", async () => {
    const t = await startServer({ main: DocumentParty }, { storage: "memory", limits: { maxFrameBytesInFlight: 1 * MiB } });
    const client = connect(t.wsUrl("/parties/main/alone"));
    await client.opened;
    client.send(textFrame("t", "x", 2 * MiB));
    expect((await client.closed).code).toBe(CloseCode.MessageTooBig);
    const res = await fetch(`${t.url}/parties/main/alone?format=json`);
    expect(res.status === 404 || !JSON.stringify(await res.json()).includes("xxxx")).toBe(true);
  });

  it("counts the sockets handed out as they are (mounted sockets) too", async () => {
    const t = await startServer({ main: DocumentParty }, { storage: "memory", limits: { maxFrameBytesInFlight: 10 * MiB }, sockets: { "/raw": () => {} } });
    const port = Number(new URL(t.url).port);
    const clients = await Promise.all(Array.from({ length: 4 }, () => rawClient(port, "/raw")));
    // More than the kernel's socket buffers take of a socket the server no longer reads.
    const part = Buffer.alloc(6 * MiB);
    const codes = closeCodes(clients);
    await waitFor(Promise.all(clients.map(async (client) => client.write(Buffer.concat([frameHeader(8 * MiB), part])))), "the parts to be written", 30_000);
    // The first fits; the others, announced while it is counted, do not.
    await pollUntil("3 clients to be refused", async () => (codes.length >= 3 ? true : undefined), 30_000);
    expect(codes).toEqual([CloseCode.TryAgainLater, CloseCode.TryAgainLater, CloseCode.TryAgainLater]);
    expect(t.logs.some((entry) => entry.event === "socket.incoming_refused")).toBe(true);
  });
});
