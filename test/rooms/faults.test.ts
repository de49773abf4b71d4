/** Room logic that misbehaves never takes the process down, and never leaves a room half made. */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType, RoomError } from "../../src/rooms/index.js";
import { cleanupAll, deferred } from "../helpers/server.js";
import { Mirror, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

describe("rooms: faults in room logic", () => {
  it("a state that is not JSON (a BigInt) is logged and rolled back to the last state sent; the room goes on", async () => {
    const careless = defineRoomType<{ n: number; big?: unknown }>({
      onCreate() {
        this.state = { n: 0 };
      },
      onInput(input) {
        if (input.type === "big") this.state.big = 10n;
        else this.state.n++;
      },
    });
    const server = await startRooms({ careless });
    const client = rawClient(server);
    await client.handshake();
    await client.request("room.join_or_create", { room_type: "careless", room: "c" });
    const mirror = new Mirror();
    mirror.apply(await client.expect("state.snapshot"));
    client.send("room.message", { room: "c", type: "big" });
    client.send("state.resync", { room: "c" }); // flushes first: the BigInt is refused there
    const snapshot = await client.expect("state.snapshot");
    expect(snapshot.p).toMatchObject({ seq: 0, state: { n: 0 } });
    client.send("room.message", { room: "c", type: "inc" });
    mirror.apply(await client.expect("state.patch"));
    expect(mirror.state).toEqual({ n: 1 });
    expect(server.logs.some((entry) => entry.event === "rooms.state_invalid" && entry.level === "error")).toBe(true);
  });

  it("an onCreate that throws leaves no half-made room: the next join runs it again", async () => {
    let attempts = 0;
    const shaky = defineRoomType<{ attempt: number }>({
      async onCreate() {
        attempts++;
        if (attempts === 1) throw new Error("no luck the first time");
        this.state = { attempt: attempts };
      },
    });
    const server = await startRooms({ shaky });
    const client = rawClient(server);
    await client.handshake();
    expect(await client.request("room.join_or_create", { room_type: "shaky", room: "s" })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/could not be joined \(1011/),
    });
    expect(await client.request("room.join_or_create", { room_type: "shaky", room: "s" })).toMatchObject({ ok: true, seq: 0 });
    expect((await client.expect("state.snapshot")).p.state).toEqual({ attempt: 2 });
  });

  it("a throwing onTick is logged, and ticking goes on", async () => {
    let ticks = 0;
    const ticking = defineRoomType<{ ticks: number }>({
      tickMs: 5,
      onCreate() {
        this.state = { ticks: 0 };
      },
      onTick() {
        ticks++;
        if (ticks === 1) throw new Error("tick bug");
        this.state.ticks = ticks;
      },
    });
    const server = await startRooms({ ticking });
    const client = rawClient(server);
    await client.handshake();
    await client.request("room.join_or_create", { room_type: "ticking", room: "t" });
    await client.expect("state.patch", (p) => p.ops.some((op: { path: string; value: number }) => op.path === "/ticks" && op.value >= 3));
    expect(server.logs.some((entry) => entry.event === "room.hook_failed" && entry.hook === "onTick")).toBe(true);
  });
});

describe("rooms: joins refused or abandoned", () => {
  it("a RoomError from onJoin refuses the join with its reason; the room stays usable for others", async () => {
    const guarded = defineRoomType<{ players: string[] }>({
      onCreate() {
        this.state = { players: [] };
      },
      onJoin(player, options) {
        if (options.password !== "sesame") throw new RoomError("wrong password");
        this.state.players.push(player);
      },
    });
    const server = await startRooms({ guarded });
    const client = rawClient(server);
    await client.handshake({ token: "dev:eve" });
    expect(await client.request("room.join_or_create", { room_type: "guarded", room: "g", options: { password: "guess" } })).toEqual({
      ok: false,
      reason: "wrong password",
      room: "g",
      room_type: "guarded",
    });
    expect(await client.request("room.join_or_create", { room_type: "guarded", room: "g", options: { password: "sesame" } })).toMatchObject({ ok: true });
    expect((await client.expect("state.snapshot")).p.state).toEqual({ players: ["eve"] });
  });

  it("a session that leaves while its onJoin still runs gets its onLeave: no ghost player in the state", async () => {
    const release = deferred();
    const joined: string[] = [];
    const slow = defineRoomType<{ players: string[] }>({
      onCreate() {
        this.state = { players: [] };
      },
      async onJoin(player) {
        this.state.players.push(player);
        joined.push(player);
        if (player === "slow") await release.promise;
      },
      onLeave(player) {
        this.state.players = this.state.players.filter((name) => name !== player);
      },
    });
    const server = await startRooms({ slow });
    const watcher = rawClient(server);
    await watcher.handshake({ token: "dev:watcher" });
    await watcher.request("room.join_or_create", { room_type: "slow", room: "s" });
    await watcher.expect("state.snapshot");
    const leaver = rawClient(server);
    await leaver.handshake({ token: "dev:slow" });
    leaver.send("room.join_or_create", { room_type: "slow", room: "s" }, "j");
    leaver.send("room.leave", { room: "s" }, "l");
    expect((await leaver.expect("rpc.response", (_p, e) => e.rid === "l")).p).toEqual({ ok: true, room: "s" });
    release.resolve();
    watcher.send("state.resync", { room: "s" });
    expect((await watcher.expect("state.snapshot")).p.state).toEqual({ players: ["watcher"] });
    expect(joined).toEqual(["watcher", "slow"]);
  });
});
