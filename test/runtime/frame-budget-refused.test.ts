/**
 * What the frame budget refuses (`limits.maxFrameBytesInFlight`) must never reach a document or a handler: the
 * socket past the budget is closed (1013, or 1009 when its message alone passes it) and what it sent is dropped.
 *
 * The clients are raw TCP sockets that speak just enough WebSocket to send part of a frame, or several frames in one
 * write (as a browser under load does).
 */
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { type WebSocket as WsSocket } from "ws";
import * as Y from "yjs";
import { CloseCode } from "../../src/protocol/index.js";
import type * as Party from "../../src/runtime/party-types.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { budgetCount, closeRawClients, frame, frameHeader, type RawClient, rawClient, textFrame } from "../helpers/raw-websocket.js";
import { startSlicing } from "../helpers/slicing.js";
import { cleanupAll, deferred, pollUntil, startServer, waitFor } from "../helpers/server.js";

const KiB = 1024;
const MiB = 1024 * KiB;

afterEach(async () => {
  closeRawClients();
  await cleanupAll();
});

/**
 * Sends a 20 KiB message (4 KiB past each socket's free 16 KiB: past a 1 KiB budget on its own), sees it refused
 * (1009), and sends the rest of it anyway, as a client whose rest was on the wire when the close came.
 */
async function sendRefusedMessage(client: RawClient): Promise<void> {
  const payload = Buffer.alloc(20 * KiB, 7);
  await client.write(Buffer.concat([frameHeader(payload.byteLength), payload.subarray(0, 100)]));
  expect(await waitFor(client.closed, "the refusal")).toBe(CloseCode.MessageTooBig);
  await client.write(payload.subarray(100));
}

describe("what the frame budget refuses is never applied", () => {
  it("a mounted socket's handler never gets the message that was refused, even once the socket is cut", async () => {
    const received: number[] = [];
    const serverClosed = deferred();
    const t = await startServer(
      { main: DocumentParty },
      {
        storage: "memory",
        limits: { maxFrameBytesInFlight: 1 * KiB },
        sockets: {
          "/raw": (ws: WsSocket) => {
            ws.on("message", (data: Buffer) => received.push(data.byteLength));
            ws.on("close", () => serverClosed.resolve());
          },
        },
      },
    );
    const client = await rawClient(Number(new URL(t.url).port), "/raw");
    await sendRefusedMessage(client);
    await waitFor(serverClosed.promise, "the server to cut the refused socket", 10_000);
    expect(t.logs.some((entry) => entry.event === "socket.incoming_refused")).toBe(true);
    expect(received).toEqual([]);
  });

  it("onSocket's handler never gets the message that was refused, once its async onSocket returns", async () => {
    const received: number[] = [];
    const serverClosed = deferred();
    const ready = deferred();
    class Main implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect(): void {}
      static async onSocket(socket: Party.FetchSocket): Promise<void> {
        socket.addEventListener("message", (event) => received.push((event.data as ArrayBuffer).byteLength));
        socket.addEventListener("close", () => serverClosed.resolve());
        await ready.promise; // e.g. an authorization lookup
      }
    }
    const t = await startServer({ main: Main }, { storage: "memory", limits: { maxFrameBytesInFlight: 1 * KiB } });
    const client = await rawClient(Number(new URL(t.url).port), "/chat");
    await sendRefusedMessage(client);
    ready.resolve(); // onSocket returns
    await waitFor(serverClosed.promise, "the server to cut the refused socket", 10_000);
    expect(received).toEqual([]);
  });

  it("onSocket's handler never gets the message that was refused when the server shuts down within the 2 s", async () => {
    const received: number[] = [];
    class Main implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect(): void {}
      static onSocket(socket: Party.FetchSocket): void {
        socket.addEventListener("message", (event) => received.push((event.data as ArrayBuffer).byteLength));
      }
    }
    const t = await startServer({ main: Main }, { storage: "memory", limits: { maxFrameBytesInFlight: 1 * KiB } });
    const client = await rawClient(Number(new URL(t.url).port), "/chat");
    await sendRefusedMessage(client);
    await t.stop(); // closes onSocket's sockets (1001), resuming the paused ones
    expect(received).toEqual([]);
  });

  it("a Yjs room does not apply the frames it held for a connection the budget refused while it applies a large update", async () => {
    const budget = 1 * MiB;
    const t = await startServer(
      { main: DocumentParty },
      { storage: "memory", limits: { maxFrameBytesInFlight: budget }, documentLimits: { structsPerTurn: 4 } },
    );
    const port = Number(new URL(t.url).port);
    // Another client announces a large message and sends nothing more: the budget has 4 KiB left.
    const filler = await rawClient(port, "/parties/main/filler");
    await filler.write(frameHeader(budget + 16 * KiB - 4 * KiB));
    await pollUntil("the filler's message to be counted", async () => (budgetCount(t.server) === budget - 4 * KiB ? true : undefined));

    const writer = await rawClient(port, "/parties/main/slicing");
    const { answered: posted } = await startSlicing(t, "slicing", 100_000);
    // Two 12 KiB updates in one write: the room holds both; together they pass the 4 KiB left.
    await writer.write(Buffer.concat([frame(textFrame("w1", "a", 12 * KiB)), frame(textFrame("w2", "b", 12 * KiB))]));
    expect(await waitFor(writer.closed, "the writer to be refused", 20_000)).toBe(CloseCode.TryAgainLater);
    expect((await posted).status).toBe(200);
    await waitFor(writer.gone, "the refused writer to be cut", 10_000);

    const doc = new Y.Doc();
    Y.applyUpdate(doc, new Uint8Array(await (await fetch(`${t.url}/parties/main/slicing?format=update`)).arrayBuffer()));
    expect(doc.getMap("m").size).toBe(100_000);
    expect({ w1: doc.getText("w1").length, w2: doc.getText("w2").length }).toEqual({ w1: 0, w2: 0 });
  }, 60_000);
});

describe("what the frame budget counts of frames a room holds", () => {
  it("frames a Yjs room held for a connection replaced by another with the same id stay counted until it closes, and are dropped, not applied", async () => {
    const budget = 8 * MiB;
    const t = await startServer(
      { main: DocumentParty },
      { storage: "memory", limits: { maxFrameBytesInFlight: budget }, documentLimits: { structsPerTurn: 4 } },
    );
    const { answered: posted } = await startSlicing(t, "slicing", 200_000);

    // One client id, six times: each connection sends a 3 MiB update (held until the slicing ends), then the next
    // connection with the same id replaces it (4009). 18 MiB held in all, past the 8 MiB budget.
    const codes: Array<Promise<number>> = [];
    for (let i = 0; i < 6; i++) {
      const ws = new WebSocket(t.wsUrl("/parties/main/slicing?_pk=same"));
      ws.on("error", () => {});
      const closed = new Promise<number>((resolve) => ws.once("close", resolve));
      codes.push(closed);
      await waitFor(Promise.race([new Promise((resolve) => ws.once("open", resolve)), closed]), `writer ${i} to open`);
      if (ws.readyState !== WebSocket.OPEN) continue;
      const before = budgetCount(t.server);
      ws.send(textFrame(`w${i}`, "x", 3 * MiB));
      await waitFor(
        Promise.race([
          closed,
          pollUntil(`writer ${i}'s update to be read`, async () => (budgetCount(t.server) >= before + 3 * MiB - 32 * KiB ? true : undefined), 20_000),
        ]),
        `writer ${i}'s update to be read or refused`,
        20_000,
      );
    }
    expect(
      t.logs.some((entry) => entry.event === "yjs.update_sliced"),
      "the slicing to be still going",
    ).toBe(false);
    // Each replaced connection's frames stayed counted until its socket closed (before: the close took them off the
    // count while the room still held them, 18 MiB against 8); then they were dropped, as the runtime drops the frames
    // of any connection the server closed (its client sends them again on its next connection's sync).
    const settled = await Promise.all(codes.slice(0, 5).map((code) => waitFor(code, "a replaced writer to close", 20_000)));
    for (const code of settled) expect([CloseCode.Replaced, CloseCode.TryAgainLater]).toContain(code);
    expect((await posted).status).toBe(200);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, new Uint8Array(await (await fetch(`${t.url}/parties/main/slicing?format=update`)).arrayBuffer()));
    for (let i = 0; i < 5; i++) expect(doc.getText(`w${i}`).length).toBe(0);
    expect(doc.getText("w5").length).toBe(3 * MiB);
  }, 60_000);
});
