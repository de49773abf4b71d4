/**
 * A close that waits behind a large message still ends when its client never reads the message: the client stopped
 * reading but still sends (messages: `ws` ends one that sends pings it cannot read the answers to), so the heartbeat sees it alive, and nothing else would cut it.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import type { SocketHandler } from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, startServer, waitFor, type TestClient } from "../helpers/server.js";

afterEach(cleanupAll);

/** More than loopback's socket buffers hold on both sides: the message cannot be written while its client does not read. */
const HUGE = 48 * 1024 * 1024;
/** ws's close timer (30 s) and some. */
const CLOSE_ENDS_WITHIN_MS = 45_000;

let roomClosed = deferred<number>();
/** The party sent the message and closed: the close waits. */
let closeWaits = deferred<number>();

class SendThenClose implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onMessage(message: string | ArrayBuffer | ArrayBufferView, conn: Party.Connection) {
    if (message !== "go") return;
    conn.send(new Uint8Array(HUGE));
    conn.close(4000, "done");
    closeWaits.resolve(conn.readyState);
  }
  onClose(_conn: Party.Connection) {
    roomClosed.resolve(Date.now());
  }
}

let socketClosed = deferred<number>();
const handler: SocketHandler = (ws) => {
  ws.on("message", (data: Buffer) => {
    if (data.toString() !== "go") return;
    ws.send(new Uint8Array(HUGE));
    ws.close(4000, "done");
  });
  ws.on("close", () => socketClosed.resolve(Date.now()));
};

/** Stops reading what the server sends, and keeps sending messages (its presence, say). */
function stopReadingButKeepSending(client: TestClient): void {
  (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const timer = setInterval(() => client.ws.readyState === client.ws.OPEN && client.ws.send("still here"), 50);
  client.ws.once("close", () => clearInterval(timer));
  afterEach(() => clearInterval(timer));
}

describe("a close behind a large message its client never reads", () => {
  afterEach(() => {
    roomClosed = deferred<number>();
    closeWaits = deferred<number>();
    socketClosed = deferred<number>();
  });
  const limits = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 300 };

  it("a room's connection: the socket is ended (and onClose runs) as ws's close timer would have", { timeout: 60_000 }, async () => {
    const { wsUrl } = await startServer({ main: SendThenClose }, { storage: "memory", limits });
    const client = connect(wsUrl("/party/stalled"));
    await client.opened;
    stopReadingButKeepSending(client);
    const start = Date.now();
    client.send("go");
    const at = await waitFor(roomClosed.promise, "the room's onClose", CLOSE_ENDS_WITHIN_MS);
    expect(at - start).toBeLessThan(CLOSE_ENDS_WITHIN_MS);
  });

  it("a mounted handler's socket: it is ended as ws's close timer would have", { timeout: 60_000 }, async () => {
    const { wsUrl } = await startServer({}, { storage: "memory", limits, sockets: { "/raw": handler } });
    const client = connect(wsUrl("/raw"));
    await client.opened;
    stopReadingButKeepSending(client);
    client.send("go");
    await waitFor(socketClosed.promise, "the handler's socket to close", CLOSE_ENDS_WITHIN_MS);
  });

  it("the server's stop is not held by such a close: the socket is cut at its shutdown deadline", { timeout: 60_000 }, async () => {
    const server = await startServer({ main: SendThenClose }, { storage: "memory", limits: { ...limits, shutdownTimeoutMs: 1_000 } });
    const client = connect(server.wsUrl("/party/stopping"));
    await client.opened;
    stopReadingButKeepSending(client);
    client.send("go");
    expect(await waitFor(closeWaits.promise, "the party's close")).toBe(2);
    await waitFor(server.stop(), "the server's stop", 10_000);
    expect(await waitFor(roomClosed.promise, "the room's onClose", 1_000)).toBeGreaterThan(0);
  });
});
