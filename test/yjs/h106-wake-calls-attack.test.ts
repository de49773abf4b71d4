/**
 * Wake-up calls attacked from the outside (docs/protocol.md, "Wake-up calls"), on a real server with raw clients. The
 * server runs in this process, so the timers its room sets for the calls are watched by their delay (a value no other
 * timer of the server uses): how many wait at once, and that each is cleared or fires.
 *
 * - Many connections, each calling again and again: one timer each at most (the ceiling is the connections), one
 *   answer per waiting call, to its caller only.
 * - Calling then closing, a reload of the code (`yparty dev`: connections closed 1012) and a server stop with calls
 *   waiting: every timer cleared, nothing sent after the close; the next code answers the calls of new connections.
 * - Malformed and huge text frames: no timer, the connection stays and keeps syncing.
 * - A party of one's own (no Yjs room): the text reaches `onMessage`, no answer.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import { Awareness, encodeAwarenessUpdate } from "y-protocols/awareness";
import { WAKE_FRAME, encodeAwareness, encodeQueryAwareness, encodeWakeCall } from "../../src/protocol/index.js";
import type * as Party from "../../src/runtime/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer, waitFor, type Frame, type TestClient } from "../helpers/server.js";

const isWake = (frame: Frame) => typeof frame !== "string" && frame.length === WAKE_FRAME.length && frame.every((byte, i) => byte === WAKE_FRAME[i]);
const wakes = (client: TestClient) => client.messages.filter(isWake).length;

/** Watches the timers set with one of `delays` (the wake calls' own, chosen by the test): live, made, fired, cleared. */
function watchTimers(...delays: number[]) {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const live = new Set<unknown>();
  const counts = { made: 0, fired: 0, cleared: 0, most: 0 };
  vi.spyOn(globalThis, "setTimeout").mockImplementation(((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    if (ms === undefined || !delays.includes(ms)) return realSet(callback, ms, ...args);
    counts.made++;
    const timer = realSet(() => {
      live.delete(timer);
      counts.fired++;
      callback(...args);
    }, ms);
    live.add(timer);
    counts.most = Math.max(counts.most, live.size);
    return timer;
  }) as typeof setTimeout);
  vi.spyOn(globalThis, "clearTimeout").mockImplementation(((timer?: Parameters<typeof clearTimeout>[0]) => {
    if (live.delete(timer)) counts.cleared++;
    realClear(timer);
  }) as typeof clearTimeout);
  return { live, counts };
}

/**
 * Resolves once each client has its first frame (the room greeted it: loaded); the first then sets a presence, so that
 * a query-awareness is never answered `01 01 00` (the bytes of a wake frame too: an empty room's states).
 */
async function greeted(clients: TestClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.opened));
  await Promise.all(clients.map((client) => client.nth(0)));
  const awareness = new Awareness(new Y.Doc());
  awareness.setLocalState({ name: "present" });
  clients[0]!.send(encodeAwareness(encodeAwarenessUpdate(awareness, [awareness.clientID])));
  awareness.destroy();
}

/** A query-awareness answered (in a room with a presence: not the wake frame's bytes): the connection is open and read. */
async function stillServed(client: TestClient): Promise<void> {
  const before = client.messages.length;
  client.send(encodeQueryAwareness());
  await client.nth(before);
  expect(client.ws.readyState).toBe(client.ws.OPEN);
}

afterEach(async () => {
  vi.restoreAllMocks();
  await cleanupAll();
});

describe("wake-up calls under attack", () => {
  it("60 connections calling 50 times each: at most one timer per connection, one answer per waiting call", async () => {
    const timers = watchTimers(1_111);
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const clients = Array.from({ length: 60 }, () => connect(server.wsUrl("/parties/main/storm")));
    const quiet = connect(server.wsUrl("/parties/main/storm"));
    await greeted([...clients, quiet]);
    for (let round = 0; round < 50; round++) for (const client of clients) client.send(encodeWakeCall(1_111));
    await waitFor(
      new Promise<void>((resolve) => {
        const check = () => (clients.every((client) => wakes(client) === 1) ? resolve() : setImmediate(check));
        check();
      }),
      "each caller's answer",
    );
    expect(timers.counts.made).toBe(60);
    expect(timers.counts.most).toBeLessThanOrEqual(60);
    expect(timers.counts.fired).toBe(60);
    expect(timers.live.size).toBe(0);
    expect(wakes(quiet)).toBe(0);
    for (const client of clients) await stillServed(client);
    expect(clients.map(wakes)).toEqual(clients.map(() => 1));
  });

  it("calls left waiting by connections that close are cleared, and nothing is sent after", async () => {
    const timers = watchTimers(59_999);
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const clients = Array.from({ length: 20 }, () => connect(server.wsUrl("/parties/main/leave")));
    await greeted(clients);
    for (const client of clients) client.send(encodeWakeCall(59_999));
    await stillServed(clients[0]!); // frames are read in order: every call before it has been taken
    for (const client of clients) await stillServed(client);
    expect(timers.live.size).toBe(20);
    await Promise.all(clients.map((client) => client.close()));
    await waitFor(
      new Promise<void>((resolve) => {
        const check = () => (timers.live.size === 0 ? resolve() : setImmediate(check));
        check();
      }),
      "the closed connections' calls to be cleared",
    );
    expect(timers.counts).toMatchObject({ made: 20, cleared: 20, fired: 0 });
  });

  it("a reload of the code with calls waiting: connections closed 1012, calls cleared; the next code answers new calls", async () => {
    const timers = watchTimers(59_998);
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const caller = connect(server.wsUrl("/parties/main/reload"));
    await greeted([caller]);
    caller.send(encodeWakeCall(59_998));
    await stillServed(caller);
    expect(timers.live.size).toBe(1);
    await server.server.reload({ main: class extends DocumentParty {} });
    expect((await caller.closed).code).toBe(1012);
    expect(timers.counts).toMatchObject({ made: 1, cleared: 1, fired: 0 });
    const framesAtClose = caller.messages.length;

    const next = connect(server.wsUrl("/parties/main/reload"));
    await greeted([next]);
    next.send(encodeWakeCall(1_000));
    await waitFor(
      new Promise<void>((resolve) => {
        const check = () => (wakes(next) === 1 ? resolve() : setImmediate(check));
        check();
      }),
      "the reloaded room's answer",
    );
    expect(caller.messages.length).toBe(framesAtClose);
  });

  it("a server stopping with calls waiting clears them (the stop does not wait for them)", async () => {
    const timers = watchTimers(59_997);
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const clients = Array.from({ length: 5 }, () => connect(server.wsUrl("/parties/main/stop")));
    await greeted(clients);
    for (const client of clients) client.send(encodeWakeCall(59_997));
    for (const client of clients) await stillServed(client);
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(timers.counts).toMatchObject({ made: 5, cleared: 5, fired: 0 });
    for (const client of clients) expect((await client.closed).code).toBe(1001);
  });

  it("malformed and huge calls are ignored: no timer, the connection stays and syncs", async () => {
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const client = connect(server.wsUrl("/parties/main/malformed"));
    await greeted([client]);
    // Watched from here: the calls' timers only (a first connect's upgrade may arm the runtime's 1 s bound on its 101).
    const timers = watchTimers(1_000, 60_000); // the bounds: what any call out of them would be held to
    const bad = [
      "yparty-wake#",
      "yparty-wake#-5",
      "yparty-wake#1.5",
      "yparty-wake# 5",
      "yparty-wake#5 ",
      "yparty-wake#1e4",
      "yparty-wake#0x10",
      "yparty-wake#1234567890", // ten digits
      "YPARTY-WAKE#5000",
      " yparty-wake#5000",
      "yparty-wake#５",
      `yparty-wake#${"9".repeat(512 * 1024)}`,
      `yparty-wake#${"x".repeat(512 * 1024)}`,
    ];
    for (const text of bad) client.send(text);
    await stillServed(client);
    expect(timers.counts.made).toBe(0);
    expect(wakes(client)).toBe(0);
    // Within the bounds once well formed: nine digits are held to 60 s, zero to 1 s.
    client.send("yparty-wake#999999999");
    await stillServed(client);
    expect(timers.counts.made).toBe(1);
  });

  it("a party of one's own gets the call in onMessage and sends nothing back", async () => {
    const texts: string[] = [];
    const Own = class implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onMessage(message: string | ArrayBuffer, sender: Party.Connection): void {
        if (typeof message !== "string") return;
        texts.push(message);
        if (message === "ping") sender.send("pong");
      }
    };
    const server = await startServer({ own: Own }, { storage: "memory" });
    const client = connect(server.wsUrl("/parties/own/room"));
    await client.opened;
    client.send(encodeWakeCall(1_000));
    client.send("ping");
    expect(await client.nth(0)).toBe("pong");
    expect(texts).toEqual(["yparty-wake#1000", "ping"]);
    expect(client.messages).toEqual(["pong"]);
  });
});
