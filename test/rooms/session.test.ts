import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { counter, type CounterState } from "./fixtures.js";
import { incAndFollow, joinCounter, rawClient, startRooms, type RawClient } from "./helpers.js";
import type { TestServer } from "../helpers/server.js";

afterEach(cleanupAll);

/** Drops the socket without a close handshake, as a lost network does. */
async function drop(client: RawClient): Promise<void> {
  client.client.ws.terminate();
  await client.client.closed;
}

describe("rooms: session resume", () => {
  it("a session dropped less than the resume window ago gets its rooms back and the patches after its last ack", async () => {
    const server = await startRooms({ counter });
    const alice = await joinCounter(server, "r", "dev:alice");
    const bob = await joinCounter(server, "r", "dev:bob");
    while (alice.mirror.seq < bob.mirror.seq) alice.mirror.apply(await alice.client.expect("state.patch"));
    alice.client.send("state.ack", { room: "r", seq: alice.mirror.seq });
    await drop(alice.client);
    await incAndFollow(bob.client, bob.mirror, "r", 6);
    expect((bob.mirror.state as CounterState).players).toHaveProperty("alice"); // her seat is kept meanwhile

    const back = rawClient(server);
    const ok = await back.handshake({ token: "dev:alice", session_id: alice.sessionId });
    expect(ok).toMatchObject({ session_id: alice.sessionId, resumed: true, rooms: [{ room: "r", room_type: "counter" }] });
    while (alice.mirror.seq < bob.mirror.seq) alice.mirror.apply(await back.expect("state.patch")); // no gap: the mirror checks seq and checksum
    expect(alice.mirror.state).toEqual(bob.mirror.state);
    expect(back.received.some((envelope) => envelope.t === "state.snapshot")).toBe(false);
    // And it goes on as before.
    await incAndFollow(back, alice.mirror, "r", 1);
    expect((alice.mirror.state as CounterState).count).toBe(7);
  });

  it.each([{ maxKeptPatches: 3 }, { maxKeptPatchBytes: 400 }])(
    "a client that never acks gets a snapshot on resume once the room stopped keeping its patches (%o)",
    async (limits) => {
      const server = await startRooms({ counter }, { limits });
      const lazy = await joinCounter(server, "r", "dev:lazy");
      const busy = await joinCounter(server, "r", "dev:busy");
      await drop(lazy.client);
      for (let i = 0; i < 10; i++) await incAndFollow(busy.client, busy.mirror, "r", 1); // one patch each
      expect(busy.mirror.seq).toBeGreaterThan(3 + 2);
      const back = rawClient(server);
      await back.handshake({ token: "dev:lazy", session_id: lazy.sessionId });
      const snapshot = await back.expect("state.snapshot");
      expect(snapshot.p).toMatchObject({ room: "r", seq: busy.mirror.seq, state: busy.mirror.state });
    },
  );

  it("after the window the session is gone: its player left the rooms, and the old id starts a new session", async () => {
    const server = await startRooms({ counter }, { limits: { resumeWindowMs: 100 } });
    const gone = await joinCounter(server, "r", "dev:gone");
    const stays = await joinCounter(server, "r", "dev:stays");
    await drop(gone.client);
    await stays.client.expect("state.patch", (p) => p.ops.some((op: { op: string; path: string }) => op.op === "remove" && op.path === "/players/gone"));
    const back = rawClient(server);
    const ok = await back.handshake({ token: "dev:gone", session_id: gone.sessionId });
    expect(ok).toMatchObject({ resumed: false, rooms: [] });
    expect(ok.session_id).not.toBe(gone.sessionId);
  });

  it("another player cannot resume someone's session", async () => {
    const server = await startRooms({ counter });
    const alice = await joinCounter(server, "r", "dev:alice");
    await drop(alice.client);
    const mallory = rawClient(server);
    const ok = await mallory.handshake({ token: "dev:mallory", session_id: alice.sessionId });
    expect(ok).toMatchObject({ resumed: false, player: "mallory", rooms: [] });
  });
});

describe("rooms: matchmaking", () => {
  it("two players enqueued for size 2 both get match.found with one new room, then join it", async () => {
    const server = await startRooms({ counter });
    const a = rawClient(server);
    await a.handshake({ token: "dev:a" });
    const b = rawClient(server);
    await b.handshake({ token: "dev:b" });
    const c = rawClient(server);
    await c.handshake({ token: "dev:c" });
    expect(await a.request("matchmaking.enqueue", { room_type: "counter", size: 2 })).toEqual({ ok: true, room_type: "counter", size: 2 });
    await c.request("matchmaking.enqueue", { room_type: "counter", size: 3 }); // another size: not matched with them
    await b.request("matchmaking.enqueue", { room_type: "counter", size: 2 });
    const [foundA, foundB] = [await a.expect("match.found"), await b.expect("match.found")];
    expect(foundA.p).toEqual({ room: foundB.p.room, room_type: "counter", size: 2, participants: ["a", "b"] });
    expect(foundB.p).toEqual(foundA.p);
    for (const player of [a, b]) expect(await player.request("room.join_or_create", { room_type: "counter", room: foundA.p.room })).toMatchObject({ ok: true });
    expect(await c.request("matchmaking.dequeue", {})).toEqual({ ok: true, dequeued: 1 });
    expect(c.received.some((envelope) => envelope.t === "match.found")).toBe(false);
  });
});

/** Broadcasts big messages: `say` reliably, `cursor` unreliably, to everyone but the sender. */
const loud = defineRoomType({
  unreliable: ["cursor"],
  onInput(input) {
    this.broadcast(input.type, input.data, { except: input.sender });
  },
});

async function stalledReader(server: TestServer): Promise<{ reader: RawClient; writer: RawClient }> {
  const reader = rawClient(server);
  await reader.handshake({ token: "dev:reader" });
  await reader.request("room.join_or_create", { room_type: "loud", room: "l" });
  const writer = rawClient(server);
  await writer.handshake({ token: "dev:writer" });
  await writer.request("room.join_or_create", { room_type: "loud", room: "l" });
  reader.client.ws.pause(); // stops reading: the server's send buffer for it fills
  return { reader, writer };
}

describe("rooms: reliable and unreliable under backpressure", () => {
  it("coalesces unreliable messages for a stalled reader (the newest per sender and type wins), never drops reliable ones", async () => {
    const server = await startRooms({ loud });
    const { reader, writer } = await stalledReader(server);
    const blob = "x".repeat(64 * 1024);
    const sent = 300; // ~19 MB: more than the socket buffers hold
    for (let i = 0; i < sent; i++) writer.send("room.message", { room: "l", type: "cursor", data: { i, blob } });
    writer.send("room.message", { room: "l", type: "say", data: { last: true } });
    // The writer's frames are all handled once its own echo-free round trip is answered.
    expect(await writer.request("room.list", {})).toMatchObject({ ok: true });
    reader.client.ws.resume();
    const said = await reader.expect("room.message", (p) => p.type === "say", 20_000);
    expect(said.p.data).toEqual({ last: true });
    const newest = await reader.expect("room.message", (p) => p.type === "cursor" && p.data.i === sent - 1, 20_000);
    expect(newest.p.data.i).toBe(sent - 1);
    const cursors = reader.received.filter((envelope) => envelope.t === "room.message" && envelope.p.type === "cursor");
    expect(cursors.length).toBeLessThan(sent);
    const order = cursors.map((envelope) => envelope.p.data.i as number);
    expect(order).toEqual([...order].sort((x, y) => x - y)); // never an older one after a newer one
  });

  it("closes a reader too slow for reliable messages with 4008", async () => {
    const server = await startRooms({ loud }, { limits: { maxReliableBufferBytes: 1024 * 1024 } });
    const { reader, writer } = await stalledReader(server);
    const blob = "y".repeat(64 * 1024);
    for (let i = 0; i < 300; i++) writer.send("room.message", { room: "l", type: "say", data: { i, blob } });
    expect(await writer.request("room.list", {})).toMatchObject({ ok: true });
    reader.client.ws.resume();
    expect((await reader.client.closed).code).toBe(4008);
  });
});

describe("rooms: matchmaking and dropped sockets", () => {
  it("a dropped socket leaves the queue at once (its session, kept for resume, is not matched)", async () => {
    const server = await startRooms({ counter });
    const { client: gone } = await joinCounter(server, "lobby", "dev:gone"); // in a room: the session outlives the socket
    await gone.request("matchmaking.enqueue", { room_type: "counter", size: 2 });
    await drop(gone);
    const a = rawClient(server);
    await a.handshake({ token: "dev:a" });
    const b = rawClient(server);
    await b.handshake({ token: "dev:b" });
    await a.request("matchmaking.enqueue", { room_type: "counter", size: 2 });
    await b.request("matchmaking.enqueue", { room_type: "counter", size: 2 });
    expect((await a.expect("match.found")).p.participants).toEqual(["a", "b"]);
  });
});
