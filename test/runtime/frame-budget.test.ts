/**
 * The server-wide budget of WebSocket messages read and not handled yet (`limits.maxFrameBytesInFlight`): clients
 * that stop partway through large frames, or send them while their room applies a large update, hold at most the
 * budget; the socket that would pass it is closed with 1013 (1009 when its message alone passes it) and what it sent
 * changes nothing; every other room keeps working.
 *
 * The attacking clients are raw TCP sockets that speak just enough WebSocket to send part of a frame: `ws` clients
 * cannot stop partway through one.
 */
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { CloseCode } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { startMemoryChild, stopMemoryChildren } from "../helpers/memory-child.js";
import { closeCodes, closeRawClients, frameHeader, rawClient, textFrame } from "../helpers/raw-websocket.js";
import { startSlicing } from "../helpers/slicing.js";
import { cleanupAll, connect, pollUntil, startServer, waitFor } from "../helpers/server.js";

const MiB = 1024 * 1024;

afterEach(async () => {
  closeRawClients();
  await stopMemoryChildren();
  await cleanupAll();
});

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

describe("the budget of messages being received", () => {
  it("clients that stop partway through large frames hold at most the budget; the ones past it are closed with 1013, and other rooms keep working", async () => {
    const budget = 32 * MiB;
    const { port, memory } = await startMemoryChild({ maxFrameBytesInFlight: budget });
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
    const { answered: posted } = await startSlicing(t, "slicing", 100_000);
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
