import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { CloseCode, DEFAULT_LIMITS } from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, refusedUpgrade, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("limits", () => {
  it("has named defaults", () => {
    expect(DEFAULT_LIMITS.maxMessageBytes).toBeGreaterThan(1024 * 1024);
    expect(DEFAULT_LIMITS.heartbeatTimeoutMs).toBeLessThanOrEqual(DEFAULT_LIMITS.heartbeatIntervalMs);
  });

  it("closes a connection that sends a frame over maxMessageBytes with 1009 and tells onError", async () => {
    const errored = deferred<string>();
    class Small implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
        sender.send(`got ${(message as Uint8Array).byteLength}`);
      }
      onError(_conn: Party.Connection, error: Error) {
        errored.resolve((error as Error & { code: string }).code);
      }
    }
    const { wsUrl, logs } = await startServer({ main: Small }, { storage: "memory", limits: { maxMessageBytes: 1024 } });
    const client = connect(wsUrl("/party/m"));
    await client.opened;
    client.send(new Uint8Array(1024));
    expect(await client.next()).toBe("got 1024");
    client.send(new Uint8Array(1025));
    expect((await client.closed).code).toBe(CloseCode.MessageTooBig);
    expect(await waitFor(errored.promise, "onError")).toBe("ERR_MESSAGE_TOO_BIG");
    expect(logs.some((e) => e.code === "ERR_MESSAGE_TOO_BIG" && e.party === "main" && e.room === "m")).toBe(true);
  });

  it("closes a client that stops reading once its send buffer passes the cap (SendBufferFull)", async () => {
    const chunk = new Uint8Array(64 * 1024);
    const flooded = deferred<{ sent: number; state: number }>();
    class Flood implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onMessage(_message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
        let sent = 0;
        // Bounded: 64 MiB at most; the cap must stop it long before.
        while (sender.readyState === sender.OPEN && sent < 1024) {
          sender.send(chunk);
          sent++;
        }
        flooded.resolve({ sent, state: sender.readyState });
      }
    }
    const maxSendBufferBytes = 256 * 1024;
    const { wsUrl, logs } = await startServer({ main: Flood }, { storage: "memory", limits: { maxSendBufferBytes } });
    const reader = connect(wsUrl("/party/bp?_pk=slow"));
    await reader.opened;
    (reader.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    reader.send("flood me");
    const { sent, state } = await waitFor(flooded.promise, "the flood to stop");
    expect(state).toBe(2); // CLOSING: the server stopped queueing for this client
    expect(sent).toBeLessThan(1024);
    expect(logs.find((e) => e.code === "ERR_SEND_BUFFER_FULL")).toMatchObject({ party: "main", room: "bp", connection: "slow" });
    (reader.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await waitFor(reader.closed, "close after resume", 15_000)).code).toBe(CloseCode.SendBufferFull);
  });

  it("terminates a socket that stops answering pings, and never drops a live idle one", async () => {
    const closed = deferred<string>();
    class Presence implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onClose(conn: Party.Connection) {
        closed.resolve(conn.id);
      }
    }
    const { wsUrl, logs } = await startServer({ main: Presence }, { storage: "memory", limits: { heartbeatIntervalMs: 40, heartbeatTimeoutMs: 1_000 } });
    const live = connect(wsUrl("/party/h?_pk=live"));
    const dead = connect(wsUrl("/party/h?_pk=dead"));
    await Promise.all([live.opened, dead.opened]);
    (dead.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    expect(await waitFor(closed.promise, "the dead socket's onClose")).toBe("dead");
    expect(logs.some((e) => e.code === "ERR_HEARTBEAT_TIMEOUT" && e.room === "h")).toBe(true);
    // Several more heartbeat rounds: the idle but live client keeps answering and stays.
    let pings = 0;
    await waitFor(new Promise<void>((resolve) => live.ws.on("ping", () => ++pings === 5 && resolve())), "5 pings");
    expect(live.ws.readyState).toBe(live.ws.OPEN);
  });

  it("keeps a client whose pong arrived while the server's event loop was stalled past the timeout", async () => {
    class Quiet implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect() {}
    }
    const { wsUrl, logs } = await startServer({ main: Quiet }, { storage: "memory", limits: { heartbeatIntervalMs: 50, heartbeatTimeoutMs: 100 } });
    const live = connect(wsUrl("/party/stall"));
    await live.opened;
    let pings = 0;
    const rounds = new Promise<void>((resolve) =>
      live.ws.on("ping", () => {
        // Client and server share this process: stalling it here (the client has already answered the ping)
        // lets the server's deadline pass with the pong unread in its socket, as a long GC or a busy room would.
        if (++pings === 1) for (const end = performance.now() + 250; performance.now() < end; );
        if (pings === 4) resolve();
      }),
    );
    await waitFor(rounds, "4 pings");
    expect(live.ws.readyState).toBe(live.ws.OPEN);
    expect(logs.some((e) => e.code === "ERR_HEARTBEAT_TIMEOUT")).toBe(false);
  });

  it("does not terminate a socket the runtime paused while its frames wait for blockConcurrencyWhile", async () => {
    const release = deferred();
    class Busy implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
        if (message === "block") void this.room.blockConcurrencyWhile(() => release.promise);
        sender.send(`ack ${String(message)}`);
      }
    }
    const { wsUrl } = await startServer({ main: Busy }, { storage: "memory", limits: { heartbeatIntervalMs: 50, heartbeatTimeoutMs: 500 } });
    const waiting = connect(wsUrl("/party/busy"));
    const observer = connect(wsUrl("/party/elsewhere"));
    await Promise.all([waiting.opened, observer.opened]);
    waiting.send("block");
    expect(await waiting.next()).toBe("ack block");
    waiting.send("queued");
    // More heartbeat rounds than one timeout spans pass (seen by a client of another room) while "queued" waits.
    let pings = 0;
    await waitFor(new Promise<void>((resolve) => observer.ws.on("ping", () => ++pings === 15 && resolve())), "15 pings");
    release.resolve();
    expect(await waiting.next()).toBe("ack queued");
    expect(waiting.ws.readyState).toBe(waiting.ws.OPEN);
  });

  it("refuses upgrades past maxConnectionsPerRoom with 503", async () => {
    class Any implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect() {}
    }
    const { wsUrl } = await startServer({ main: Any }, { storage: "memory", limits: { maxConnectionsPerRoom: 1 } });
    await connect(wsUrl("/party/full")).opened;
    const refusal = await refusedUpgrade(wsUrl("/party/full"));
    expect(refusal.status).toBe(503);
    expect(JSON.parse(refusal.body).error.code).toBe("ERR_ROOM_FULL");
  });

  it("holds maxConnectionsPerRoom against clients that arrive together while the room starts", async () => {
    const started = deferred();
    const connected: string[] = [];
    class Slow implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onStart() {
        await started.promise;
      }
      onConnect(conn: Party.Connection) {
        connected.push(conn.id);
        conn.send("in");
      }
    }
    const { wsUrl } = await startServer({ main: Slow }, { storage: "memory", limits: { maxConnectionsPerRoom: 2 } });
    const clients = Array.from({ length: 5 }, () => connect(wsUrl("/party/rush")));
    const outcomes = clients.map((client) => Promise.race([client.nth(0).then(() => "in" as const), client.closed.then(({ code }) => code)]));
    for (const client of clients) await client.opened.catch(() => {}); // every upgrade passed the check before the room was live
    started.resolve();
    const seen: Array<"in" | number> = [];
    for (const outcome of outcomes) seen.push(await waitFor(outcome, "each client let in or turned away"));
    expect(seen.filter((o) => o === "in")).toHaveLength(2);
    expect(seen.filter((o) => o === CloseCode.TryAgainLater)).toHaveLength(3);
    expect(connected).toHaveLength(2);
  });
});
