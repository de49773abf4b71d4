import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, waitFor } from "../helpers/server.js";
import { counter } from "./fixtures.js";
import { Mirror, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

describe("rooms: handshake and codecs", () => {
  it("answers handshake.ok with the first codec it supports, then speaks it", async () => {
    const server = await startRooms({ counter });
    for (const codec of ["json", "msgpack"] as const) {
      const client = rawClient(server, codec);
      const ok = await client.handshake({ codecs: ["cbor", codec, "json"] });
      expect(ok).toMatchObject({ codec, player: "alice" });
      expect(typeof ok.session_id).toBe("string");
      const joined = await client.request("room.join_or_create", { room_type: "counter", room: `r-${codec}` });
      expect(joined).toEqual({ ok: true, room: `r-${codec}`, room_type: "counter", seq: 1 }); // its own join is patch 1
      const snapshot = await client.expect("state.snapshot");
      expect(snapshot.p).toMatchObject({ room: `r-${codec}`, seq: 1, state: { count: 0, players: { alice: { joined: true } } } });
      const frames = client.client.messages.slice(1);
      expect(frames.every((frame) => (codec === "json" ? typeof frame === "string" : frame instanceof Uint8Array))).toBe(true);
    }
  });
});

describe("rooms: join, snapshot and patches", () => {
  it("sends every change as a patch whose checksum matches the mirror", async () => {
    const server = await startRooms({ counter });
    const alice = rawClient(server, "json");
    await alice.handshake({ token: "dev:alice" });
    const bob = rawClient(server, "msgpack");
    await bob.handshake({ token: "dev:bob" });
    await alice.request("room.join_or_create", { room_type: "counter", room: "r" });
    const mirrorA = new Mirror();
    mirrorA.apply(await alice.expect("state.snapshot"));
    await bob.request("room.join_or_create", { room_type: "counter", room: "r" });
    const mirrorB = new Mirror();
    mirrorB.apply(await bob.expect("state.snapshot"));
    for (let i = 1; i <= 20; i++) (i % 2 ? alice : bob).send("room.message", { room: "r", type: "inc", data: { by: i } });
    while (mirrorA.state === undefined || (mirrorA.state as { count: number }).count < 210) mirrorA.apply(await alice.expect("state.patch"));
    while ((mirrorB.state as { count: number }).count < 210) mirrorB.apply(await bob.expect("state.patch"));
    expect(mirrorA.state).toEqual({ count: 210, players: { alice: { joined: true }, bob: { joined: true } } });
    expect(mirrorB.state).toEqual(mirrorA.state);
    expect(mirrorB.seq).toBe(mirrorA.seq);
  });
});

describe("rooms: the handshake refuses", () => {
  it("a frame before the handshake: error, then 4400", async () => {
    const server = await startRooms({ counter });
    const client = rawClient(server);
    await client.client.opened;
    client.send("room.list", {}, 1);
    expect((await client.expect("error")).p.reason).toMatch(/first frame must be a handshake/);
    expect((await client.client.closed).code).toBe(4400);
  });

  it.each([
    ["not JSON", "{nope"],
    ["a binary frame", new Uint8Array([1, 2, 3])],
    ["a wrong version", JSON.stringify({ t: "handshake", p: { v: 2, codecs: ["json"], project_id: "x", token: "dev:a" } })],
    ["no common codec", JSON.stringify({ t: "handshake", p: { v: 1, codecs: ["cbor"], project_id: "x", token: "dev:a" } })],
    ["no token", JSON.stringify({ t: "handshake", p: { v: 1, codecs: ["json"], project_id: "x" } })],
  ])("a malformed handshake (%s): error, then 4400", async (_what, frame) => {
    const server = await startRooms({ counter });
    const client = rawClient(server);
    await client.client.opened;
    client.sendRaw(frame);
    expect(typeof (await client.expect("error")).p.reason).toBe("string");
    expect((await client.client.closed).code).toBe(4400);
  });

  it("a token that gives an unusable player id (too long, control characters): error, then 4401", async () => {
    const server = await startRooms({ counter });
    for (const token of [`dev:${"x".repeat(129)}`, "dev:a\nb"]) {
      const client = rawClient(server);
      await client.client.opened;
      client.send("handshake", { v: 1, codecs: ["json"], project_id: "x", token });
      expect((await client.expect("error")).p.reason).toMatch(/unusable player id/);
      expect((await client.client.closed).code).toBe(4401);
    }
  });

  it("a refused token: error, then 4401 (the verifier decides)", async () => {
    const server = await startRooms({ counter }, { verifyToken: (token) => (token.startsWith("dev:") ? token.slice(4) : null) });
    const client = rawClient(server);
    await client.client.opened;
    client.send("handshake", { v: 1, codecs: ["json"], project_id: "x", token: "alice" });
    expect((await client.expect("error")).p.reason).toMatch(/token was refused/);
    expect((await client.client.closed).code).toBe(4401);
  });

  it("frames sent right behind the handshake wait for the (slow) verifier, and inputs right behind a join wait for the join", async () => {
    let release!: () => void;
    const verified = new Promise<void>((resolve) => (release = resolve));
    const server = await startRooms({ counter }, { verifyToken: async (token) => (await verified, token) });
    const client = rawClient(server);
    await client.client.opened;
    client.send("handshake", { v: 1, codecs: ["json"], project_id: "x", token: "carol" });
    client.send("room.join_or_create", { room_type: "counter", room: "early" }, "j");
    client.send("room.message", { room: "early", type: "inc", data: { by: 5 } });
    release();
    const joined = await client.expect("rpc.response", (_p, e) => e.rid === "j");
    expect(joined.p).toMatchObject({ ok: true, room: "early" });
    // The input sent before the join was answered waited for it, and counted.
    const patch = await client.expect("state.patch", (p) => p.ops.some((op: { path: string; value: unknown }) => op.path === "/count" && op.value === 5));
    expect(patch.p.room).toBe("early");
  });
});

describe("rooms: bad input after the handshake", () => {
  it("answers each bad frame with error (or a failed rpc.response), keeps the socket usable, and closes 4400 at the 10th", async () => {
    const server = await startRooms({ counter });
    const client = rawClient(server);
    await client.handshake();
    await client.request("room.join_or_create", { room_type: "counter", room: "r" });
    const bad: Array<[string | null, () => void]> = [
      ["not valid JSON", () => client.sendRaw("{oops")],
      ["an object", () => client.sendRaw("[1,2]")],
      ['unknown message type "teleport"', () => client.send("teleport", {})],
      ["p.room_type must be one of: counter", () => client.send("room.join_or_create", { room_type: "chess" })],
      ['not in room "elsewhere"', () => client.send("room.message", { room: "elsewhere", type: "inc", data: { by: 1 } })],
      ["inc needs {by: an integer from 1 to 100}", () => client.send("room.message", { room: "r", type: "inc", data: { by: 1000 } })],
      ["p.seq must be an integer", () => client.send("state.ack", { room: "r", seq: "x" })],
      ["p.data_b64 must be base64", () => client.send("room.message.bytes", { room: "r", type: "echo", data_b64: "!!" })],
    ];
    for (const [reason, sendIt] of bad) {
      sendIt();
      expect((await client.expect("error")).p.reason).toContain(reason);
      // Still usable: a request right after is answered.
      expect(await client.request("room.list", {})).toMatchObject({ ok: true });
    }
    const failed = await client.request("room.leave", { room: 42 });
    expect(failed).toEqual({ ok: false, reason: "p.room must be a string" });
    client.sendRaw("{oops"); // the 10th
    expect((await client.expect("error")).p.reason).toMatch(/not valid JSON/);
    expect((await client.client.closed).code).toBe(4400);
  });
});

describe("rooms: lifecycle and messages", () => {
  it("lists rooms, fills a free room before making one, and leaves", async () => {
    const server = await startRooms({ counter });
    const players = Array.from({ length: 9 }, (_, _i) => rawClient(server));
    const rooms: string[] = [];
    for (const [i, player] of players.entries()) {
      await player.handshake({ token: `dev:p${i}` });
      const joined = await player.request("room.join_or_create", { room_type: "counter" });
      expect(joined.ok).toBe(true);
      rooms.push(joined.room);
    }
    expect(new Set(rooms.slice(0, 8)).size).toBe(1); // max_clients 8
    expect(rooms[8]).not.toBe(rooms[0]);
    const listed = await players[0]!.request("room.list", { room_type: "counter" });
    expect(listed.rooms).toEqual(
      expect.arrayContaining([
        { room: rooms[0], room_type: "counter", clients: 8, max_clients: 8, metadata: {} },
        { room: rooms[8], room_type: "counter", clients: 1, max_clients: 8, metadata: {} },
      ]),
    );
    expect(await players[0]!.request("room.leave", { room: rooms[0] })).toEqual({ ok: true, room: rooms[0] });
    const patch = await players[1]!.expect("state.patch", (p) =>
      p.ops.some((op: { op: string; path: string }) => op.op === "remove" && op.path === "/players/p0"),
    );
    expect(patch.p.room).toBe(rooms[0]);
    const full = await players[8]!.request("room.join_or_create", { room_type: "counter", room: rooms[0] });
    expect(full).toMatchObject({ ok: true, room: rooms[0] });
    const fuller = rawClient(server);
    await fuller.handshake({ token: "dev:late" });
    expect(await fuller.request("room.join_or_create", { room_type: "counter", room: rooms[0] })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/full/),
    });
  });

  it("players who ask at the same moment fill rooms before more are made (seats promised to joins on their way)", async () => {
    const server = await startRooms({ counter });
    const players = Array.from({ length: 16 }, () => rawClient(server));
    await Promise.all(players.map((player, i) => player.handshake({ token: `dev:together${i}` })));
    const joined = await Promise.all(players.map((player) => player.request("room.join_or_create", { room_type: "counter" })));
    expect(joined.every((answer) => answer.ok)).toBe(true);
    const sizes = [...new Set(joined.map((answer) => answer.room))].map((room) => joined.filter((answer) => answer.room === room).length);
    expect(sizes).toEqual([8, 8]); // was 16 rooms of one
  });

  it("a session that ends while its unnamed join is on its way gives the seat it was promised back", async () => {
    const entered = deferred<void>();
    const proceed = deferred<void>();
    const left = deferred<void>();
    const slow = defineRoomType({
      maxClients: 2,
      async onJoin(player) {
        if (player !== "first") return;
        entered.resolve();
        await proceed.promise;
      },
      onLeave(player) {
        if (player === "first") left.resolve();
      },
    });
    const server = await startRooms({ slow }, { limits: { maxProtocolErrors: 1 } });
    const first = rawClient(server);
    await first.handshake({ token: "dev:first" });
    first.send("room.join_or_create", { room_type: "slow" }, "j");
    await waitFor(entered.promise, "the first join to be on its way");
    first.send("no.such.type"); // its only bad frame allowed: the session ends, not resumable
    await first.client.closed;
    proceed.resolve();
    await waitFor(left.promise, "the abandoned join to be undone");
    const [a, b] = [rawClient(server), rawClient(server)];
    await Promise.all([a.handshake({ token: "dev:a" }), b.handshake({ token: "dev:b" })]);
    const joined = await Promise.all([a, b].map((player) => player.request("room.join_or_create", { room_type: "slow" })));
    expect(joined[0]!.room).toBe(joined[1]!.room); // the abandoned join held a seat of that room for good
  });

  it("room.message and room.message.bytes reach the logic and come back, in both codecs", async () => {
    const server = await startRooms({ counter });
    for (const codec of ["json", "msgpack"] as const) {
      const client = rawClient(server, codec);
      await client.handshake();
      await client.request("room.join_or_create", { room_type: "counter", room: `echo-${codec}` });
      client.send("room.message", { room: `echo-${codec}`, type: "echo", data: { hello: [1, "two"] } });
      expect((await client.expect("room.message")).p).toEqual({ room: `echo-${codec}`, type: "echo", data: { hello: [1, "two"] } });
      client.send("room.message.bytes", { room: `echo-${codec}`, type: "echo", data_b64: Buffer.from([0, 1, 254, 255]).toString("base64") });
      expect((await client.expect("room.message.bytes")).p).toEqual({ room: `echo-${codec}`, type: "echo", data_b64: "AAH+/w==" });
    }
  });

  it("refuses a join past maxRoomsPerSession, and takes it again after a leave", async () => {
    const server = await startRooms({ counter }, { limits: { maxRoomsPerSession: 2 } });
    const client = rawClient(server);
    await client.handshake();
    for (const room of ["a", "b"]) expect(await client.request("room.join_or_create", { room_type: "counter", room })).toMatchObject({ ok: true });
    expect(await client.request("room.join_or_create", { room_type: "counter", room: "c" })).toMatchObject({
      ok: false,
      reason: "in 2 rooms already (maxRoomsPerSession): leave one first",
    });
    await client.request("room.leave", { room: "a" });
    expect(await client.request("room.join_or_create", { room_type: "counter", room: "c" })).toMatchObject({ ok: true });
  });

  it("onCreate gets the first join's options; setMetadata shows in room.list", async () => {
    const tagged = defineRoomType<{ mode: unknown }>({
      maxClients: 4,
      onCreate(options) {
        this.state = { mode: options.mode };
        this.setMetadata({ mode: options.mode, open: true });
      },
    });
    const server = await startRooms({ counter, tagged });
    const client = rawClient(server);
    await client.handshake();
    await client.request("room.join_or_create", { room_type: "tagged", room: "t", options: { mode: "ranked" } });
    expect((await client.expect("state.snapshot")).p.state).toEqual({ mode: "ranked" });
    expect((await client.request("room.list", { room_type: "tagged" })).rooms).toEqual([
      { room: "t", room_type: "tagged", clients: 1, max_clients: 4, metadata: { mode: "ranked", open: true } },
    ]);
    expect((await client.request("room.list", {})).rooms).toHaveLength(1); // counter has no live room
  });

  it("the room parties are not reachable at their own URLs", async () => {
    const server = await startRooms({ counter });
    const response = await fetch(`${server.url}/parties/rooms.counter/r`);
    expect(response.status).toBe(404);
  });
});
