/**
 * Awareness client ids belong to the connection that announced them (docs/protocol.md, "Awareness ownership"):
 * another connection can neither overwrite, remove nor out-clock them, one connection owns at most a few, and
 * an id its connection freed can be announced again. Real server, real providers, raw `ws` spoofers.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as encoding from "lib0/encoding";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { Awareness, applyAwarenessUpdate, removeAwarenessStates } from "y-protocols/awareness";
import { decodeMessage, encodeAwareness, encodeSyncStep1 } from "../../src/protocol/index.js";
import type * as Party from "../../src/runtime/index.js";
import { DocumentParty, YServer, onConnect, type SessionConnection } from "../../src/yjs/index.js";
import { connect, startServer, type TestServer } from "../helpers/server.js";
import { openSession, stopAll } from "./support/sessions.js";
import { makeProvider, untilAwareness, whenSynced, type AnyProvider, clientDocs } from "./support/providers.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/** Server code that writes presence of its own (y-partykit style, through the document's Awareness). */
class Narrator extends YServer {
  override onConnect(connection: Party.Connection, ctx: Party.ConnectionContext): void | Promise<void> {
    this.document.awareness.setLocalState({ role: "server" });
    return super.onConnect(connection, ctx);
  }
}
class TwoIdsEach extends YServer {
  static override maxAwarenessIdsPerConnection = 2;
}
const PARTIES = {
  main: DocumentParty,
  narrator: Narrator,
  two: TwoIdsEach,
  pk: { onConnect: (conn: Party.Connection, room: Party.Room) => onConnect(conn, room, { maxAwarenessIdsPerConnection: 3 }) },
};

type Entry = [clientId: number, clock: number, state: unknown];

function awarenessUpdate(entries: Entry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const [clientId, clock, state] of entries) {
    encoding.writeVarUint(encoder, clientId);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarString(encoder, JSON.stringify(state));
  }
  return encoding.toUint8Array(encoder);
}

/** A raw connection (open) that sends hand-made awareness entries. */
async function rawClient(server: TestServer, party: string, room: string) {
  const client = connect(server.wsUrl(`/parties/${party}/${room}`));
  await client.opened;
  let step2s = 0;
  return {
    client,
    announce: (entries: Entry[]) => client.send(encodeAwareness(awarenessUpdate(entries))),
    /** Resolves once the server has handled everything sent so far (it answers frames in order). */
    async handled(): Promise<void> {
      client.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc())));
      const wanted = ++step2s;
      for (let i = 0, seen = 0; ; i++) {
        const frame = await client.nth(i);
        if (typeof frame !== "string" && decodeMessage(frame).type === "sync-step2" && ++seen === wanted) return;
      }
    },
  };
}

async function presence(server: TestServer, party: string, room: string): Promise<Map<number, unknown>> {
  const res = await fetch(`${server.url}/parties/${party}/${room}/awareness`);
  expect(res.status).toBe(200);
  const list = (await res.json()) as Array<{ clientId: number; state: unknown }>;
  return new Map(list.map(({ clientId, state }) => [clientId, state]));
}

/** Every state the watcher saw for `clientId`, in order (`null` when it was removed). */
function history(awareness: Awareness, clientId: number): unknown[] {
  const seen: unknown[] = [];
  awareness.on("change", ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
    if (added.includes(clientId) || updated.includes(clientId)) seen.push(awareness.getStates().get(clientId));
    if (removed.includes(clientId)) seen.push(null);
  });
  return seen;
}

let server: TestServer;
const docs = clientDocs();
function provider(party: string, room: string): { doc: Y.Doc; provider: AnyProvider } {
  const doc = new Y.Doc();
  docs.push(doc);
  return { doc, provider: makeProvider("y-websocket", server.url, party, room, doc) };
}
const userOf = (awareness: Awareness, clientId: number) => (awareness.getStates().get(clientId) as { user?: string } | undefined)?.user;

describe("awareness ownership", () => {
  const SPOOFS: Array<[string, (clock: number) => Entry[], number]> = [
    ["a higher clock", (clock) => [[0, clock + 1, { user: "mallory" }]], 1],
    ["a null state at the same clock", (clock) => [[0, clock, null]], 1],
    ["a null state at a higher clock", (clock) => [[0, clock + 1, null]], 1],
    ["clock 1,000,000", () => [[0, 1_000_000, { user: "mallory" }]], 1],
    ["an echo of the owner's own state (not counted)", (clock) => [[0, clock, { user: "owner" }]], 0],
  ];

  it.each(SPOOFS)("another connection cannot take over a client id with %s; the owner's renewals still reach everyone", async (_name, spoof, counted) => {
    server = await startServer(PARTIES);
    const room = "spoofed";
    const owner = provider("main", room);
    await whenSynced(owner.provider);
    const ownerId = owner.doc.clientID;
    const watcher = provider("main", room);
    const seen = history(watcher.provider.awareness, ownerId);
    owner.provider.awareness.setLocalStateField("user", "owner");
    await untilAwareness(watcher.provider.awareness, (a) => userOf(a, ownerId) === "owner", "the owner's state");

    const mallory = await rawClient(server, "main", room);
    const clock = owner.provider.awareness.meta.get(ownerId)!.clock;
    const entries = spoof(clock).map(([, entryClock, state]): Entry => [ownerId, entryClock, state]);
    mallory.announce(entries);
    mallory.announce(entries); // counted twice, logged once
    await mallory.handled();
    expect((await presence(server, "main", room)).get(ownerId)).toEqual({ user: "owner" });

    owner.provider.awareness.setLocalStateField("user", "renewed");
    await untilAwareness(watcher.provider.awareness, (a) => userOf(a, ownerId) === "renewed", "the owner's renewal");
    expect(seen).toEqual([{ user: "owner" }, { user: "renewed" }]);
    expect((await presence(server, "main", room)).get(ownerId)).toEqual({ user: "renewed" });
    const refusals = server.logs.filter((e) => e.event === "yjs.awareness_refused");
    expect(refusals).toHaveLength(counted);
    if (counted) expect(refusals[0]).toMatchObject({ level: "warn", clientId: ownerId, reason: "not-owner" });
  });

  it("keeps the server's own presence (written by server code) from connections", async () => {
    server = await startServer(PARTIES);
    const watcher = provider("narrator", "told");
    await whenSynced(watcher.provider);
    const serverId = [...(await presence(server, "narrator", "told"))].find(([, state]) => (state as { role?: string }).role === "server")![0];
    const mallory = await rawClient(server, "narrator", "told");
    mallory.announce([
      [serverId, 1_000_000, { role: "mallory" }],
      [serverId + 1, 1, { role: "mallory's own" }],
    ]);
    await mallory.handled();
    const states = await presence(server, "narrator", "told");
    expect(states.get(serverId)).toEqual({ role: "server" });
    expect(states.get(serverId + 1)).toEqual({ role: "mallory's own" });
    expect(watcher.provider.awareness.getStates().get(serverId)).toEqual({ role: "server" });
  });

  it("frees a closed connection's ids: another connection may take them, and the reconnecting owner gets them back", async () => {
    server = await startServer(PARTIES);
    const room = "handover";
    const owner = provider("main", room);
    await whenSynced(owner.provider);
    const ownerId = owner.doc.clientID;
    owner.provider.awareness.setLocalStateField("user", "owner");
    const watcher = provider("main", room);
    await untilAwareness(watcher.provider.awareness, (a) => userOf(a, ownerId) === "owner", "the owner's state");

    (owner.provider as unknown as { disconnect(): void }).disconnect();
    await untilAwareness(watcher.provider.awareness, (a) => !a.getStates().has(ownerId), "the owner's state removed");
    // Free now: a new connection may announce it, even with a clock far ahead of the owner's.
    const successor = await rawClient(server, "main", room);
    successor.announce([[ownerId, 1_000_000, { user: "successor" }]]);
    await untilAwareness(watcher.provider.awareness, (a) => userOf(a, ownerId) === "successor", "the successor's state");
    await successor.client.close();
    await untilAwareness(watcher.provider.awareness, (a) => !a.getStates().has(ownerId), "the successor's state removed");

    // The provider reconnects with its own clientID and its own (much lower) clock: its state is back at once.
    (owner.provider as unknown as { connect(): void }).connect();
    await untilAwareness(watcher.provider.awareness, (a) => userOf(a, ownerId) === "owner", "the reconnected owner's state");
    expect((await presence(server, "main", room)).get(ownerId)).toEqual({ user: "owner" });
    owner.provider.awareness.setLocalStateField("user", "renewed");
    await untilAwareness(watcher.provider.awareness, (a) => userOf(a, ownerId) === "renewed", "its next renewal");
    expect(server.logs.filter((e) => e.event === "yjs.awareness_refused")).toEqual([]);
  });

  it("drops clocks past 2^52, so whoever takes an id next can still be raised past it", async () => {
    server = await startServer(PARTIES);
    const room = "clocks";
    const watcher = provider("main", room);
    await whenSynced(watcher.provider);
    const first = await rawClient(server, "main", room);
    first.announce([[77, Number.MAX_SAFE_INTEGER, { user: "far ahead" }]]);
    first.announce([[77, 2 ** 52, { user: "first" }]]);
    await untilAwareness(watcher.provider.awareness, (a) => userOf(a, 77) === "first", "the first holder's state");
    await first.client.close();
    await untilAwareness(watcher.provider.awareness, (a) => !a.getStates().has(77), "its state removed");
    const next = await rawClient(server, "main", room);
    next.announce([[77, 1, { user: "next" }]]);
    await untilAwareness(watcher.provider.awareness, (a) => userOf(a, 77) === "next", "the next holder's state");
    expect(watcher.provider.awareness.meta.get(77)!.clock).toBe(2 ** 52 + 1);
    expect(server.logs.filter((e) => e.event === "yjs.awareness_refused")).toEqual([expect.objectContaining({ clientId: 77, reason: "clock-too-high" })]);
  });

  it("lets one connection own 16 ids by default; the 200,000 more it announces cost no memory", async () => {
    server = await startServer(PARTIES);
    const flooder = await rawClient(server, "main", "flooded");
    await flooder.handled();
    const base = 1_000_000;
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    for (let part = 0; part < 4; part++) {
      flooder.announce(Array.from({ length: 50_000 }, (_, i): Entry => [base + part * 50_000 + i, 1, { user: `u${i}`, cursor: i }]));
    }
    await flooder.handled();
    collectGarbage();
    const grown = process.memoryUsage().heapUsed - before;
    const states = await presence(server, "main", "flooded");
    expect([...states.keys()]).toEqual(Array.from({ length: 16 }, (_, i) => base + i));
    expect(grown).toBeLessThan(8 * 1024 * 1024); // 0.2 MiB measured; unfixed +39 MiB: a state and a clock for each id
    const refusals = server.logs.filter((e) => e.event === "yjs.awareness_refused");
    expect(refusals).toEqual([expect.objectContaining({ level: "warn", clientId: base + 16, reason: "over-cap" })]);
    // Its own ids stay writable.
    flooder.announce([[base, 2, { user: "still mine" }]]);
    await flooder.handled();
    expect((await presence(server, "main", "flooded")).get(base)).toEqual({ user: "still mine" });
  });

  it.each([
    ["YServer's static maxAwarenessIdsPerConnection", "two", 2],
    ["y-partykit's maxAwarenessIdsPerConnection option", "pk", 3],
  ])("takes the cap from %s", async (_name, party, cap) => {
    server = await startServer(PARTIES);
    const client = await rawClient(server, party, "capped");
    client.announce(Array.from({ length: 10 }, (_, i): Entry => [500 + i, 1, { i }]));
    await client.handled();
    const watcher = await rawClient(server, party, "capped");
    await watcher.handled();
    const frames = watcher.client.messages.filter((m): m is Uint8Array => typeof m !== "string").map(decodeMessage);
    const greeting = frames.find((m) => m.type === "awareness");
    expect(greeting).toBeDefined();
    const seen = new Y.Doc();
    docs.push(seen);
    const view = new Awareness(seen);
    view.setLocalState(null);
    applyAwarenessUpdate(view, (greeting as { update: Uint8Array }).update, "server");
    expect([...view.getStates().keys()]).toEqual(Array.from({ length: cap }, (_, i) => 500 + i));
    view.destroy();
  });
});

describe("a client id whose state timed out", () => {
  afterEach(stopAll);

  it("is free again once its owner has not renewed it for 30 s", async () => {
    const session = await openSession({ room: "lapsed", gc: true });
    const connection = (id: string): SessionConnection => ({ id, send: () => {}, close: () => {} });
    const silent = connection("silent");
    const next = connection("next");
    session.attach(silent);
    session.attach(next);
    session.receive(silent, encodeAwareness(awarenessUpdate([[7, 5, { user: "silent" }]])));
    session.receive(next, encodeAwareness(awarenessUpdate([[7, 6, { user: "next" }]])));
    expect(session.awareness.getStates().get(7)).toEqual({ user: "silent" });
    expect(session.awarenessRefused).toBe(1);

    // What the room's Awareness does every 3 s with states not renewed for 30 s (lib0 reads the clock
    // through its own reference to Date.now, which fake timers do not reach).
    removeAwarenessStates(session.awareness, [7], "timeout");
    expect(session.awareness.getStates().has(7)).toBe(false);
    session.receive(next, encodeAwareness(awarenessUpdate([[7, 1, { user: "next" }]])));
    expect(session.awareness.getStates().get(7)).toEqual({ user: "next" });
    expect(session.awareness.meta.get(7)!.clock).toBe(6); // raised past the silent owner's clock
  });
});
