/**
 * The frame budget (`limits.maxFrameBytesInFlight`) bounds the bytes of WebSocket messages read and not handled yet.
 * The chunks of a y-partykit batch (`y-pk-batch#` start marker, binary chunks, end marker) are such bytes: read, and
 * kept until the end marker comes. Clients that start large batches and never end them must not hold more than the
 * budget, as clients that stop partway through large frames do not.
 */
import { afterEach, describe, it } from "vitest";
import WebSocket from "ws";
import { startMemoryChild, stopMemoryChildren } from "../helpers/memory-child.js";
import { pollUntil, waitFor } from "../helpers/server.js";

const MiB = 1024 * 1024;

const clients: WebSocket[] = [];

afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  await stopMemoryChildren();
});

describe("the frame budget and y-partykit batches", () => {
  it("clients that start 16 MB batches and never end them hold at most the budget", async () => {
    const budget = 32 * MiB;
    const { port, memory } = await startMemoryChild({ maxFrameBytesInFlight: budget });
    const before = await memory();

    // 8 clients, each a batch of 16 chunks of 1 MB of which it sends 15: 120 MB kept, waiting for the end marker.
    const chunk = new Uint8Array(1_000_000).fill(1);
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/parties/main/batches-${i % 2}`);
        clients.push(ws);
        ws.on("error", () => {});
        await waitFor(new Promise((resolve) => ws.once("open", resolve)), "a client to open");
        ws.send(`y-pk-batch#${JSON.stringify({ type: "start", id: `b${i}`, size: 16_000_000, count: 16 })}`);
        for (let c = 0; c < 15; c++) ws.send(chunk);
        // The server answers the ping once it has read all that came before it (or the socket is closed).
        await waitFor(
          new Promise((resolve) => {
            ws.once("pong", resolve);
            ws.once("close", resolve);
            ws.ping();
          }),
          "the server to read the chunks",
          30_000,
        );
      }),
    );
    // The budget, and each socket's uncounted first bytes plus a last read (as for frames stopped partway), once the
    // refused sockets are closed on the server's side too and collected (before: 120 MB, for good).
    const ceiling = budget + 8 * 128 * 1024 + 4 * MiB;
    await pollUntil(
      "the server to hold at most the budget",
      async () => ((await memory()).arrayBuffers - before.arrayBuffers < ceiling ? true : undefined),
      30_000,
    );
  }, 120_000);
});
