/**
 * The frame budget (`limits.maxFrameBytesInFlight`) is a memory ceiling: what clients make the server hold for
 * messages they have not finished is at most the budget, and each socket's first 16 KiB. A message sent as many tiny
 * non-final fragments costs the server far more than its payload (a Buffer and its bookkeeping per fragment), so
 * counting its payload alone lets clients hold memory the budget never sees.
 */
import { afterEach, describe, it } from "vitest";
import { startMemoryChild, stopMemoryChildren } from "../helpers/memory-child.js";
import { closeRawClients, rawClient } from "../helpers/raw-websocket.js";
import { pollUntil, waitFor } from "../helpers/server.js";

const MiB = 1024 * 1024;

afterEach(async () => {
  closeRawClients();
  await stopMemoryChildren();
});

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
    const { port, memory } = await startMemoryChild({ maxFrameBytesInFlight: budget });
    const before = await memory();
    const clients = 100;
    // Each: 16 000 payload bytes (under the 16 KiB each socket has free), 112 KB on the wire; then a ping.
    const message = Buffer.concat([tinyFragments(16_000), PING]);
    await Promise.all(
      Array.from({ length: clients }, async (_, i) => {
        const { socket } = await rawClient(port, `/parties/main/fragments-${i % 4}`);
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
