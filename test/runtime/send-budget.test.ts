/**
 * Unsent outgoing bytes: a client that reads is never cut for the size of one frame, a client that stops
 * reading still is, and the server's total is capped (`maxBufferedBytes`), biggest unread holders closed first.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { CloseCode, type LogEntry, type SocketHandler } from "../../src/runtime/index.js";
import { cleanupAll, connect, startServer, waitFor, type TestClient } from "../helpers/server.js";
import { throttlingProxy } from "../helpers/throttling-proxy.js";

afterEach(cleanupAll);

const MiB = 1024 * 1024;
/** One buffer for every frame: `ws` queues it without copying, so the floods cost the test no memory. */
const chunk = new Uint8Array(64 * 1024);

/** What "text N" sends N bytes of: a character of three bytes in UTF-8. */
const TEXT_CHARACTER = "€";

/** What "shared N" sends (its first N bytes): queued without a copy. */
const shared = new Uint8Array(48 * MiB);

/** Stops the client's socket from reading: what it has not read piles up in the server's send buffer. */
function stopReading(client: TestClient): void {
  (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
}
function resumeReading(client: TestClient): void {
  (client.ws as unknown as { _socket: { resume(): void } })._socket.resume();
}

/** "big N": one frame of N bytes; "text N": a text of N bytes; "flood N": N bytes in 64 KiB frames (while the connection stays open). */
class Sender implements Party.Server {
  static readonly connections: Party.Connection[] = [];
  static readonly floods = new Map<string, number>();
  static readonly closed: string[] = [];
  constructor(readonly room: Party.Room) {}
  onConnect(conn: Party.Connection) {
    Sender.connections.push(conn);
  }
  onClose(conn: Party.Connection) {
    Sender.closed.push(conn.id);
  }
  onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
    const [command, size] = String(message).split(" ");
    const bytes = Number(size);
    if (command === "big") return sender.send(new Uint8Array(bytes));
    if (command === "text") return sender.send(TEXT_CHARACTER.repeat(bytes / 3));
    if (command === "shared") {
      sender.send(shared.subarray(0, bytes));
      return void Sender.floods.set(sender.id, bytes);
    }
    if (command === "echo") return sender.send(String(message));
    let sent = 0;
    while (sender.readyState === sender.OPEN && sent < bytes) {
      sender.send(chunk);
      sent += chunk.byteLength;
    }
    Sender.floods.set(sender.id, sent);
  }
}

/** Resolves once the server has sent what connection `id` asked for. */
function sent(id: string): Promise<void> {
  const done = new Promise<void>((resolve) => {
    const check = () => (Sender.floods.has(id) ? resolve() : setTimeout(check, 5));
    check();
  });
  return waitFor(done, `the server's sending to ${id}`);
}

/** Unsent bytes the server holds for open connections, or also for those closing whose sockets are not gone yet. */
function buffered(which: "open" | "held"): number {
  const counted = (c: Party.Connection) => (which === "open" ? c.readyState === c.OPEN : c.readyState !== c.CLOSED);
  return Sender.connections.filter(counted).reduce((sum, c) => sum + c.bufferedAmount, 0);
}

/**
 * The heartbeat for a client reading 24 MiB at 6.4 MB/s (≥ 3.9 s): paced, a ping waits behind one fragment and what the
 * loopback's socket buffers hold (up to ~10 MB, ~1.6 s at that rate), so the timeout is 2.5 s; a ping behind the whole
 * message would still come ~1.2 s too late.
 */
const HEARTBEAT_UNDER_A_SLOW_READ = { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 2_500 };

describe("send buffers", () => {
  afterEach(() => {
    Sender.connections.length = 0;
    Sender.floods.clear();
    Sender.closed.length = 0;
  });

  it("never cuts a client that reads for the size of one frame, however far past the cap", async () => {
    const { wsUrl } = await startServer({ main: Sender }, { storage: "memory", limits: { maxSendBufferBytes: 256 * 1024 } });
    const reader = connect(wsUrl("/party/one?_pk=reader"));
    await reader.opened;
    reader.send(`big ${8 * MiB}`);
    expect(((await reader.next(15_000)) as Uint8Array).byteLength).toBe(8 * MiB);
    reader.send("echo after");
    expect(await reader.next()).toBe("echo after");
    expect(reader.ws.readyState).toBe(reader.ws.OPEN);
  });

  it("gives a client still reading a large frame more than the heartbeat timeout; one that stopped is terminated", async () => {
    const limits = HEARTBEAT_UNDER_A_SLOW_READ;
    const { wsUrl } = await startServer({ main: Sender }, { storage: "memory", limits });
    // The slow one reads through a proxy that passes 64 KiB every 10 ms: the whole frame takes ~4 s, far longer than
    // the heartbeat gives; a ping written behind all of it would be answered too late.
    const proxy = await throttlingProxy(new URL(wsUrl("/")).port, 10);
    const slow = connect(`ws://127.0.0.1:${proxy.port}/party/one?_pk=slow`);
    const stalled = connect(wsUrl("/party/one?_pk=stalled"));
    await Promise.all([slow.opened, stalled.opened]);
    stopReading(stalled);
    const started = performance.now();
    slow.send(`big ${24 * MiB}`);
    stalled.send(`big ${24 * MiB}`);
    expect(((await slow.next(20_000)) as Uint8Array).byteLength).toBe(24 * MiB);
    expect(performance.now() - started).toBeGreaterThan(limits.heartbeatIntervalMs + limits.heartbeatTimeoutMs);
    slow.send("echo still here");
    expect(await slow.next()).toBe("echo still here");
    await waitFor(
      new Promise<void>((resolve) => {
        const check = () => (Sender.closed.includes("stalled") ? resolve() : setTimeout(check, 10));
        check();
      }),
      "the stalled client to be terminated",
    );
    expect(Sender.closed).not.toContain("slow");
    proxy.close();
  });

  it("gives a client still reading a large text more than the heartbeat timeout too: the text arrives whole", async () => {
    const limits = HEARTBEAT_UNDER_A_SLOW_READ;
    const { wsUrl } = await startServer({ main: Sender }, { storage: "memory", limits });
    // 24 MiB of a three-byte character through the slow link: fragments of the text split characters.
    const proxy = await throttlingProxy(new URL(wsUrl("/")).port, 10);
    const slow = connect(`ws://127.0.0.1:${proxy.port}/party/one?_pk=slow-text`);
    await slow.opened;
    const started = performance.now();
    slow.send(`text ${24 * MiB}`);
    const cut = slow.closed.then(({ code }) => `closed (${code}) while it read the text`);
    const received = await Promise.race([slow.next(20_000), cut]);
    expect(typeof received === "string" && received.length, String(received).slice(0, 60)).toBe(8 * MiB);
    expect(performance.now() - started).toBeGreaterThan(limits.heartbeatIntervalMs + limits.heartbeatTimeoutMs);
    slow.send("echo still here");
    expect(await slow.next()).toBe("echo still here");
    expect(Sender.closed).not.toContain("slow-text");
    proxy.close();
    // Checked last: comparing 8 Mi characters holds this process (the server's heartbeat too) for a while.
    expect(received === TEXT_CHARACTER.repeat(8 * MiB), "the text as sent").toBe(true);
  });

  it("still closes a client that stops reading: what queues behind its large frame counts", async () => {
    const { wsUrl, logs } = await startServer({ main: Sender }, { storage: "memory", limits: { maxSendBufferBytes: 256 * 1024 } });
    const stalled = connect(wsUrl("/party/one?_pk=stalled"));
    await stalled.opened;
    stopReading(stalled);
    stalled.send(`big ${8 * MiB}`);
    stalled.send(`flood ${64 * MiB}`);
    await sent("stalled");
    expect(Sender.floods.get("stalled")).toBeLessThan(64 * MiB);
    expect(logs.find((e) => e.code === "ERR_SEND_BUFFER_FULL")).toMatchObject({ connection: "stalled", limit: "maxSendBufferBytes" });
    resumeReading(stalled);
    expect((await waitFor(stalled.closed, "the close after resume", 20_000)).code).toBe(CloseCode.SendBufferFull);
  });

  it("judges what onConnect sends with the upgrade's answer like any send: a flood to a client not reading is cut", async () => {
    // The socket is corked while onConnect runs (the 101 and the greeting in one write): a flood must not hide there.
    class FloodOnConnect implements Party.Server {
      onConnect(conn: Party.Connection) {
        Sender.connections.push(conn);
        if (conn.id === "first") return; // it starts the room: the next connect finds it running
        let sent = 0;
        while (conn.readyState === conn.OPEN && sent < 64 * MiB) {
          conn.send(chunk);
          sent += chunk.byteLength;
        }
        Sender.floods.set(conn.id, sent);
      }
    }
    const { wsUrl, logs } = await startServer({ main: FloodOnConnect }, { storage: "memory", limits: { maxSendBufferBytes: 256 * 1024 } });
    await connect(wsUrl("/party/one?_pk=first")).opened;
    const flooded = connect(wsUrl("/party/one?_pk=flooded"));
    await sent("flooded");
    expect(Sender.floods.get("flooded")).toBeLessThan(64 * MiB);
    expect(logs.find((e) => e.code === "ERR_SEND_BUFFER_FULL")).toMatchObject({ connection: "flooded", limit: "maxSendBufferBytes" });
    expect((await waitFor(flooded.closed, "the close", 20_000)).code).toBe(CloseCode.SendBufferFull);
  });

  it("destroys the sockets it closed for the server's budget that still have not read, when it is over again", async () => {
    const maxBufferedBytes = 48 * MiB;
    const { wsUrl } = await startServer({ main: Sender }, { storage: "memory", limits: { maxBufferedBytes } });
    // Each reader gets less than the one before: the biggest holder closed is always an older one, still holding.
    for (const [i, size] of [40, 32, 24, 16, 8].entries()) {
      const reader = connect(wsUrl(`/party/big-${i}?_pk=big-${i}`));
      await reader.opened;
      stopReading(reader);
      reader.send(`shared ${size * MiB}`);
      await sent(`big-${i}`);
      // At most what the last closing freed is still held (the closed ones hold it until the next time it is over).
      expect(buffered("held")).toBeLessThanOrEqual(maxBufferedBytes + 32 * MiB);
    }
    // Kept until ws's 30 s close timeout, the first two closed would still hold ~68 MiB here.
    expect(buffered("held")).toBeLessThanOrEqual(maxBufferedBytes);
  });

  it("keeps the server's unsent total under maxBufferedBytes: the biggest unread holders go first, then their sockets, other rooms work on", async () => {
    const maxBufferedBytes = 16 * MiB;
    const { wsUrl, logs } = await startServer({ main: Sender }, { storage: "memory", limits: { maxBufferedBytes } });
    const readers: TestClient[] = [];
    for (let i = 0; i < 8; i++) {
      const reader = connect(wsUrl(`/party/room-${i % 4}?_pk=reader-${i}`));
      await reader.opened;
      stopReading(reader);
      readers.push(reader);
    }
    // Reader i asks for (i + 1) × 2 MiB: 72 MiB in all, far past the budget (and past what loopback buffers hold).
    for (let i = 0; i < 8; i++) {
      readers[i]!.send(`flood ${(i + 1) * 2 * MiB}`);
      await sent(`reader-${i}`);
      expect(buffered("open")).toBeLessThanOrEqual(maxBufferedBytes);
      // Those it closed keep their unread bytes until the server is over its budget again: at most one eviction more.
      expect(buffered("held")).toBeLessThanOrEqual(maxBufferedBytes + 16 * MiB);
    }
    const closedByBudget = logs.filter((e) => e.code === "ERR_SEND_BUFFER_FULL").map((e) => e.connection);
    expect(logs.filter((e) => e.code === "ERR_SEND_BUFFER_FULL").every((e) => e.limit === "maxBufferedBytes")).toBe(true);
    expect(closedByBudget).toContain("reader-7");
    expect(closedByBudget).not.toContain("reader-0");
    expect(readers[0]!.ws.readyState).toBe(readers[0]!.ws.OPEN);

    // Another room, and a small reader's own room, keep working.
    const other = connect(wsUrl("/party/elsewhere"));
    await other.opened;
    other.send("echo hello");
    expect(await other.next()).toBe("echo hello");

    // Each was sent 4008; one that still had not read when the server needed the room again was cut (1006).
    for (const name of closedByBudget) {
      const reader = readers[Number(String(name).split("-")[1])]!;
      resumeReading(reader);
      expect([CloseCode.SendBufferFull, 1006]).toContain((await waitFor(reader.closed, `${String(name)}'s close`, 20_000)).code);
    }
  });

  it("holds sockets handed out as they are (a mounted socket's handler, onSocket) to the same caps", async () => {
    let floodedTo = 0;
    // A handler that writes to its socket directly, as the rooms protocol's does: "flood N" sends N bytes.
    const flooder: SocketHandler = (ws) => {
      ws.on("message", (data: Buffer) => {
        const bytes = Number(data.toString().split(" ")[1]);
        while (ws.readyState === ws.OPEN && floodedTo < bytes) {
          ws.send(chunk);
          floodedTo += chunk.byteLength;
        }
      });
    };
    const { server, wsUrl } = await startServer({ main: Sender }, { storage: "memory", sockets: { "/raw": flooder }, limits: { maxSendBufferBytes: 8 * MiB } });
    const full = new Promise<LogEntry>((resolve) => server.logger.subscribe((entry) => entry.event === "socket.send_buffer_full" && resolve(entry)));
    const stalled = connect(wsUrl("/raw"));
    await stalled.opened;
    stopReading(stalled);
    stalled.send(`flood ${64 * MiB}`);
    expect(await waitFor(full, "the socket to pass its cap", 20_000)).toMatchObject({
      code: "ERR_SEND_BUFFER_FULL",
      path: "/raw",
      limit: "maxSendBufferBytes",
    });
    expect(floodedTo).toBeLessThan(64 * MiB);
    resumeReading(stalled);
    expect((await waitFor(stalled.closed, "the close after resume", 20_000)).code).toBe(CloseCode.SendBufferFull);
  });
});
