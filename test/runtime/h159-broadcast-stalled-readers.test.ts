/**
 * Broadcasts of frames at the direct-frame limit (16 KiB − 1, 16 KiB, 16 KiB + 1; text and binary) to readers of
 * every kind: the send budget still counts what a broadcast leaves unsent (a stalled reader is closed 4008 past
 * maxSendBufferBytes, stalled readers are closed past maxBufferedBytes, and no connection ever holds more than its cap
 * plus one frame), a reader that stalls mid-broadcast and reads again gets every message whole and in order, and
 * readers that keep reading get every message whole and in order.
 */
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { CloseCode } from "../../src/runtime/index.js";
import { DIRECT_FRAME_MAX_BYTES } from "../../src/runtime/direct-frame.js";
import { cleanupAll, connect, startServer, waitFor, type Frame, type TestClient } from "../helpers/server.js";

afterEach(cleanupAll);

const KiB = 1024;
const SIZES = [DIRECT_FRAME_MAX_BYTES - 1, DIRECT_FRAME_MAX_BYTES, DIRECT_FRAME_MAX_BYTES + 1];
/** Messages broadcast per "more". */
const BATCH = 12;
/** The largest message on the wire: the biggest payload and a 4-byte header. */
const LARGEST_FRAME = DIRECT_FRAME_MAX_BYTES + 1 + 4;

/** Message `seq`: its size cycles through SIZES, text on odd numbers (with two-byte characters), binary on even. */
function messageOf(seq: number): string | Uint8Array {
  const bytes = SIZES[seq % SIZES.length]!;
  if (seq % 2 === 1) {
    const head = `${seq}|`;
    const wide = "é".repeat(1000); // 2 bytes each
    return head + wide + "x".repeat(bytes - head.length - 2000);
  }
  const binary = new Uint8Array(bytes).fill(seq & 0xff);
  new DataView(binary.buffer).setUint32(0, seq);
  return binary;
}

/** Its socket was destroyed (the budget cut it): what it had not sent is freed, though `bufferedAmount` still shows it. */
function socketGone(connection: Party.Connection): boolean {
  return (connection as unknown as { ws: { _socket: Socket | null } }).ws._socket?.destroyed !== false;
}

/** On "more", broadcasts the next BATCH messages, one call each, and records the most each connection held after each. */
class Fanout implements Party.Server {
  static next = 0;
  /** The most unsent bytes seen per connection id after a broadcast, and of all connections whose socket is not gone. */
  static readonly most = new Map<string, number>();
  static mostTotal = 0;
  static readonly connections = new Map<string, Party.Connection>();
  constructor(readonly room: Party.Room) {}
  onConnect(connection: Party.Connection) {
    Fanout.connections.set(connection.id, connection);
  }
  onMessage(message: string | ArrayBuffer | ArrayBufferView) {
    if (message !== "more") return;
    for (let i = 0; i < BATCH; i++) {
      this.room.broadcast(messageOf(Fanout.next++));
      let total = 0;
      for (const [id, connection] of Fanout.connections) {
        if (connection.readyState === connection.CLOSED || socketGone(connection)) continue;
        total += connection.bufferedAmount;
        if (connection.readyState === connection.OPEN) Fanout.most.set(id, Math.max(Fanout.most.get(id) ?? 0, connection.bufferedAmount));
      }
      Fanout.mostTotal = Math.max(Fanout.mostTotal, total);
    }
  }
}

function socketOf(client: TestClient): Socket {
  return (client.ws as unknown as { _socket: Socket })._socket;
}

/** Every message `client` received is the one broadcast in that place: whole, in order, none missing. */
function expectInOrder(client: TestClient, from = 0): void {
  client.messages.slice(from).forEach((frame: Frame, index) => {
    const expected = messageOf(from + index);
    if (typeof expected === "string") expect(frame).toBe(expected);
    else expect(Buffer.compare(Buffer.from(frame as Uint8Array), Buffer.from(expected)), `message ${from + index}`).toBe(0);
  });
}

/** Asks for batches, each once `driver` has read the last, while `more()` says so (at most `limit` batches). */
async function drive(driver: TestClient, more: () => boolean, limit: number): Promise<number> {
  let batches = 0;
  while (more() && batches < limit) {
    driver.send("more");
    batches++;
    await driver.nth(batches * BATCH - 1, 10_000);
  }
  return batches;
}

async function joined(url: string, ids: string[]): Promise<TestClient[]> {
  const clients = ids.map((id) => connect(`${url}?_pk=${id}`));
  for (const client of clients) await client.opened;
  return clients;
}

describe("broadcasts to readers that stall", () => {
  afterEach(() => {
    Fanout.next = 0;
    Fanout.most.clear();
    Fanout.mostTotal = 0;
    Fanout.connections.clear();
  });

  it("close a stalled reader 4008 past maxSendBufferBytes; one stalled for a while and the ones reading get every message", async () => {
    const maxSendBufferBytes = 256 * KiB;
    const server = await startServer({ main: Fanout }, { storage: "memory", limits: { maxSendBufferBytes } });
    const [reader, other, slow, stalled] = await joined(server.wsUrl("/party/fan"), ["reader", "other", "slow", "stalled"]);
    socketOf(stalled!).pause();
    const stalledOnServer = Fanout.connections.get("stalled")!;
    const slowOnServer = Fanout.connections.get("slow")!;
    let slowStage: "reading" | "stalled" | "read again" = "reading";
    // Until the stalled reader is closed and the slow one stalled past the kernel's buffers (the server queues for it),
    // then read again: a few MiB, the kernel's buffers of the stalled reader filled first.
    const batches = await drive(
      reader!,
      () => {
        if (slowStage === "reading" && Fanout.next >= 4 * BATCH) {
          socketOf(slow!).pause();
          slowStage = "stalled";
        } else if (slowStage === "stalled" && slowOnServer.bufferedAmount > 64 * KiB) {
          socketOf(slow!).resume();
          slowStage = "read again";
        }
        return stalledOnServer.readyState === stalledOnServer.OPEN || slowStage !== "read again";
      },
      2_000,
    );
    expect(stalledOnServer.readyState, `the stalled reader is still open after ${batches} batches`).not.toBe(stalledOnServer.OPEN);
    expect(slowStage).toBe("read again");
    const entry = await server.logged("connection.send_buffer_full");
    expect(entry).toMatchObject({ connection: "stalled", limit: "maxSendBufferBytes" });
    // Its cap, the largest frame in flight, and the last message (judged after it was queued) at the most.
    expect(Fanout.most.get("stalled")).toBeLessThanOrEqual(maxSendBufferBytes + 2 * LARGEST_FRAME);
    expect(Fanout.most.get("slow")).toBeGreaterThan(64 * KiB);

    socketOf(stalled!).resume();
    expect((await waitFor(stalled!.closed, "the stalled reader's close", 10_000)).code).toBe(CloseCode.SendBufferFull);
    const sent = Fanout.next;
    for (const client of [reader!, other!, slow!]) {
      await client.nth(sent - 1, 10_000);
      expect(client.messages.length).toBe(sent);
      expectInOrder(client);
      expect(client.ws.readyState).toBe(client.ws.OPEN);
    }
    // What the stalled reader read before its close came whole and in order.
    expectInOrder(stalled!);
  }, 60_000);

  it("keep the unsent bytes of all connections under maxBufferedBytes: stalled readers are closed, the reader goes on", async () => {
    const maxBufferedBytes = 384 * KiB;
    const server = await startServer({ main: Fanout }, { storage: "memory", limits: { maxBufferedBytes } });
    const [reader, first, second] = await joined(server.wsUrl("/party/budget"), ["reader", "first", "second"]);
    for (const client of [first!, second!]) socketOf(client).pause();
    const stalledOnServer = ["first", "second"].map((id) => Fanout.connections.get(id)!);
    await drive(reader!, () => stalledOnServer.some((c) => c.readyState === c.OPEN), 2_000);
    for (const connection of stalledOnServer) expect(connection.readyState).not.toBe(connection.OPEN);
    const closedFor = server.logs.filter((e) => e.event === "connection.send_buffer_full").map((e) => e.limit);
    expect(closedFor.length).toBeGreaterThanOrEqual(2);
    expect(new Set(closedFor)).toEqual(new Set(["maxBufferedBytes"]));
    // The budget, and what the last broadcast queued before it was judged (one frame per stalled reader), at the most.
    expect(Fanout.mostTotal).toBeLessThanOrEqual(maxBufferedBytes + 2 * LARGEST_FRAME);

    const sent = Fanout.next;
    await reader!.nth(sent - 1, 10_000);
    expect(reader!.messages.length).toBe(sent);
    expectInOrder(reader!);
    for (const client of [first!, second!]) {
      socketOf(client).resume();
      expect([CloseCode.SendBufferFull, 1006]).toContain((await waitFor(client.closed, "a stalled reader's close", 10_000)).code);
    }
  }, 60_000);
});
