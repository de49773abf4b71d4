import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType, stateChecksum } from "../../src/rooms/index.js";
import { STATE_KEY } from "../../src/rooms/room-party.js";
import { cleanupAll } from "../helpers/server.js";
import { counter, type CounterState } from "./fixtures.js";
import { incAndFollow, joinCounter, Mirror, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

describe("rooms: authoritative state", () => {
  it("batches every change of one tick into one patch (seq + 1)", async () => {
    const burst = defineRoomType<{ n: number; log: number[] }>({
      onCreate() {
        this.state = { n: 0, log: [] };
      },
      onInput() {
        for (let i = 0; i < 50; i++) {
          this.state.n++;
          this.state.log.push(i);
        }
      },
    });
    const server = await startRooms({ burst });
    const client = rawClient(server);
    await client.handshake();
    const { seq } = await client.request("room.join_or_create", { room_type: "burst", room: "b" });
    const mirror = new Mirror();
    mirror.apply(await client.expect("state.snapshot"));
    client.send("room.message", { room: "b", type: "go", data: null });
    const patch = await client.expect("state.patch");
    expect(patch.p.seq).toBe(seq + 1);
    expect(patch.p.ops).toHaveLength(51); // /n replaced, 50 array appends
    mirror.apply(patch);
    expect(mirror.state).toEqual({ n: 50, log: Array.from({ length: 50 }, (_, i) => i) });
  });

  it("a late client gets a snapshot at the current seq, then the same patches as the others", async () => {
    const server = await startRooms({ counter });
    const { client: early, mirror: earlyMirror } = await joinCounter(server, "r", "dev:early");
    await incAndFollow(early, earlyMirror, "r", 30);
    const { client: late, mirror: lateMirror } = await joinCounter(server, "r", "dev:late");
    expect(lateMirror.seq).toBe(earlyMirror.seq + 1); // the late join is one more patch
    expect((lateMirror.state as CounterState).count).toBe(30);
    await incAndFollow(early, earlyMirror, "r", 5);
    while (lateMirror.seq < earlyMirror.seq) lateMirror.apply(await late.expect("state.patch"));
    expect(lateMirror.state).toEqual(earlyMirror.state);
  });

  it("state.resync answers a fresh snapshot; state.ack of a seq the room never had is an error", async () => {
    const server = await startRooms({ counter });
    const { client, mirror } = await joinCounter(server, "r", "dev:a");
    await incAndFollow(client, mirror, "r", 3);
    client.send("state.ack", { room: "r", seq: mirror.seq });
    client.send("state.resync", { room: "r", reason: "checksum mismatch" });
    const snapshot = await client.expect("state.snapshot");
    expect(snapshot.p).toMatchObject({ room: "r", seq: mirror.seq, state: mirror.state });
    client.send("state.ack", { room: "r", seq: mirror.seq + 10 });
    expect((await client.expect("error")).p).toEqual({ room: "r", reason: `p.seq must be an integer from 0 to ${mirror.seq}` });
  });

  it("an ack whose checksum differs from the room's at that seq gets a snapshot (the seed's optional ack checksum)", async () => {
    const server = await startRooms({ counter });
    const { client, mirror } = await joinCounter(server, "r", "dev:a");
    await incAndFollow(client, mirror, "r", 2);
    client.send("state.ack", { room: "r", seq: mirror.seq, checksum: "00000000" });
    expect((await client.expect("state.snapshot", (p) => p.seq === mirror.seq)).p.state).toEqual(mirror.state);
    client.send("state.ack", { room: "r", seq: mirror.seq, checksum: stateChecksum(mirror.state) });
    client.send("state.resync", { room: "r" }); // a round trip: the good ack got no snapshot
    await client.expect("state.snapshot");
    expect(client.received.filter((envelope) => envelope.t === "state.snapshot")).toHaveLength(3);
  });

  it("the state survives a restart, and seq goes on from where it was", async () => {
    const server = await startRooms({ counter }, { server: { storage: "leveldb" } });
    const { client, mirror } = await joinCounter(server, "kept", "dev:a");
    await incAndFollow(client, mirror, "kept", 7);
    const restarted = await server.restart();
    const { mirror: after } = await joinCounter(restarted, "kept", "dev:a");
    // The restart was not the player leaving: no onLeave (its join again changes nothing: the example's onJoin keeps it)
    expect(after.seq).toBe(mirror.seq);
    expect(after.state).toEqual({ count: 7, players: { a: { joined: true } } });
  });

  it("a graceful restart keeps every seat for the resume window: a player who does not come back leaves then", async () => {
    const server = await startRooms({ counter }, { limits: { resumeWindowMs: 300 }, server: { storage: "leveldb" } });
    const a = await joinCounter(server, "seats", "dev:a");
    await joinCounter(server, "seats", "dev:b");
    await incAndFollow(a.client, a.mirror, "seats", 3);
    expect(a.mirror.state).toEqual({ count: 3, players: { a: { joined: true }, b: { joined: true } } });
    const restarted = await server.restart();
    const { client, mirror: after } = await joinCounter(restarted, "seats", "dev:a");
    expect(after.state).toEqual(a.mirror.state);
    after.apply(await client.expect("state.patch")); // b's window passed: its onLeave
    expect(after.state).toEqual({ count: 3, players: { a: { joined: true } } });
  });

  it("writes the state at most every saveIntervalMs, and the last state when the room unloads", async () => {
    const server = await startRooms({ counter }, { limits: { saveIntervalMs: 60_000 }, server: { storage: "leveldb" } });
    const { client, mirror } = await joinCounter(server, "lazy", "dev:a");
    await incAndFollow(client, mirror, "lazy", 5);
    const stored = () => server.server.storage.kv("rooms.counter/lazy").get(STATE_KEY) as Promise<{ seq: number; state: unknown } | undefined>;
    expect((await stored())?.seq).toBe(0); // only the created room was written: the patches wait for the interval
    const restarted = await server.restart();
    const { mirror: after } = await joinCounter(restarted, "lazy", "dev:a");
    expect(after.state).toEqual({ count: 5, players: { a: { joined: true } } });
  });

  it("a logic fault (not a RoomError) closes that player's room connection: error to the client, the room goes on", async () => {
    const fragile = defineRoomType<{ n: number }>({
      onCreate() {
        this.state = { n: 0 };
      },
      onInput(input) {
        if (input.type === "boom") throw new Error("bug in the room");
        this.state.n++;
      },
    });
    const server = await startRooms({ fragile });
    const a = rawClient(server);
    await a.handshake({ token: "dev:a" });
    await a.request("room.join_or_create", { room_type: "fragile", room: "f" });
    const b = rawClient(server);
    await b.handshake({ token: "dev:b" });
    await b.request("room.join_or_create", { room_type: "fragile", room: "f" });
    a.send("room.message", { room: "f", type: "boom" });
    expect((await a.expect("error")).p).toMatchObject({ room: "f", closed: true, reason: expect.stringMatching(/closed the connection \(1011/) });
    b.send("room.message", { room: "f", type: "tick" });
    expect((await b.expect("state.patch", (p) => p.ops.some((op: { path: string }) => op.path === "/n"))).p.ops).toContainEqual({
      op: "replace",
      path: "/n",
      value: 1,
    });
    expect(server.logs.some((entry) => entry.event === "room.hook_failed" && entry.hook === "onMessage")).toBe(true);
  });
});
