/**
 * Unsent outgoing bytes: a client that reads is never cut for the size of one frame, a client that stops
 * reading still is, and the server's total is capped (`maxBufferedBytes`), biggest unread holders closed first.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { CloseCode } from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, startServer, waitFor, type TestClient } from "../helpers/server.js";

afterEach(cleanupAll);

const MiB = 1024 * 1024;
/** One buffer for every frame: `ws` queues it without copying, so the floods cost the test no memory. */
const chunk = new Uint8Array(64 * 1024);

/** Stops the client's socket from reading: what it has not read piles up in the server's send buffer. */
function stopReading(client: TestClient): void {
  (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
}
function resumeReading(client: TestClient): void {
  (client.ws as unknown as { _socket: { resume(): void } })._socket.resume();
}

/** "big N": one frame of N bytes; "flood N": N bytes in 64 KiB frames (while the connection stays open). */
class Sender implements Party.Server {
  static readonly connections: Party.Connection[] = [];
  static readonly floods = new Map<string, number>();
  constructor(readonly room: Party.Room) {}
  onConnect(conn: Party.Connection) {
    Sender.connections.push(conn);
  }
  onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
    const [command, size] = String(message).split(" ");
    const bytes = Number(size);
    if (command === "big") return sender.send(new Uint8Array(bytes));
    if (command === "echo") return sender.send(String(message));
    let sent = 0;
    while (sender.readyState === sender.OPEN && sent < bytes) {
      sender.send(chunk);
      sent += chunk.byteLength;
    }
    Sender.floods.set(sender.id, sent);
  }
}

function openBuffered(): number {
  return Sender.connections.filter((c) => c.readyState === c.OPEN).reduce((sum, c) => sum + c.bufferedAmount, 0);
}

describe("send buffers", () => {
  afterEach(() => {
    Sender.connections.length = 0;
    Sender.floods.clear();
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

  it("still closes a client that stops reading: what queues behind its large frame counts", async () => {
    const { wsUrl, logs } = await startServer({ main: Sender }, { storage: "memory", limits: { maxSendBufferBytes: 256 * 1024 } });
    const stalled = connect(wsUrl("/party/one?_pk=stalled"));
    await stalled.opened;
    stopReading(stalled);
    stalled.send(`big ${8 * MiB}`);
    stalled.send(`flood ${64 * MiB}`);
    await waitFor(
      new Promise<void>((resolve) => {
        const check = () => (Sender.floods.has("stalled") ? resolve() : setTimeout(check, 5));
        check();
      }),
      "the flood to end",
    );
    expect(Sender.floods.get("stalled")).toBeLessThan(64 * MiB);
    expect(logs.find((e) => e.code === "ERR_SEND_BUFFER_FULL")).toMatchObject({ connection: "stalled", limit: "maxSendBufferBytes" });
    resumeReading(stalled);
    expect((await waitFor(stalled.closed, "the close after resume", 20_000)).code).toBe(CloseCode.SendBufferFull);
  });

  it("keeps the server's unsent total under maxBufferedBytes: the biggest unread holders go first, other rooms work on", async () => {
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
      const flooded = deferred();
      const check = () => (Sender.floods.has(`reader-${i}`) ? flooded.resolve() : setTimeout(check, 5));
      readers[i]!.send(`flood ${(i + 1) * 2 * MiB}`);
      check();
      await waitFor(flooded.promise, `reader ${i}'s flood`);
      expect(openBuffered()).toBeLessThanOrEqual(maxBufferedBytes);
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

    for (const name of closedByBudget) {
      const reader = readers[Number(String(name).split("-")[1])]!;
      resumeReading(reader);
      expect((await waitFor(reader.closed, `${String(name)}'s close`, 20_000)).code).toBe(CloseCode.SendBufferFull);
    }
  });
});
