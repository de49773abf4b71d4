/**
 * `room.list`'s `clients` counted the room's connected members only. A room of two whose match holds the second seat
 * for a participant not in yet, or whose players' seats are kept since a restart, was listed with a free seat, while a
 * named join of it was refused "full" (and an unnamed join tried it first). It now counts every seat a join could not
 * take, as Colyseus's listing counts a reserved seat: those seated (connected, or kept) and those a match holds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, pollUntil, startServer, type TestServer, waitFor } from "../helpers/server.js";
import { type P, rawClient, type RawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

const pair = { pair: defineRoomType({ maxClients: 2 }) };

async function player(server: TestServer, name: string): Promise<RawClient> {
  const client = rawClient(server);
  await client.handshake({ token: `dev:${name}` });
  return client;
}

async function listed(client: RawClient): Promise<P[]> {
  return (await client.request("room.list", { room_type: "pair" })).rooms as P[];
}

describe("room.list and the seats a join cannot take", () => {
  it("counts the seat a match holds for a participant not in yet, until it is free", async () => {
    const server = await startRooms(pair, { limits: { seatReservationMs: 1_500 } });
    const [ada, bob, carl] = [await player(server, "ada"), await player(server, "bob"), await player(server, "carl")];
    for (const client of [ada, bob]) expect((await client.request("matchmaking.enqueue", { room_type: "pair", size: 2 })).ok).toBe(true);
    const { room } = (await ada.expect("match.found")).p;
    expect((await ada.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true);

    // Before: clients 1 of 2, and the join of that room refused "full" all the same.
    expect(await listed(carl)).toEqual([{ room, room_type: "pair", clients: 2, max_clients: 2, metadata: {} }]);
    expect(await carl.request("room.join_or_create", { room_type: "pair", room })).toMatchObject({ ok: false, reason: expect.stringMatching(/full/) });

    // bob never comes: once his seat's time is up it is free, listed so, and carl takes it.
    await pollUntil("bob's held seat to be free", async () => ((await listed(carl))[0]?.clients === 1 ? true : undefined));
    expect((await carl.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true);
    expect(await listed(carl)).toEqual([expect.objectContaining({ room, clients: 2 })]);
  });

  it("counts the seats kept since a restart for players not back yet", async () => {
    const server = await startRooms(pair, { server: { storage: "leveldb" } });
    const [ada, bob] = [await player(server, "ada"), await player(server, "bob")];
    const { room } = await ada.request("room.join_or_create", { room_type: "pair", room: "kept" });
    expect((await bob.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true);
    await server.stop(); // a graceful stop: both seats stored, kept for them once the room is back

    const again = await startRooms(pair, { server: { storage: "leveldb", dir: server.dir! } });
    const carl = await player(again, "carl");
    // carl's join loads the room: its two seats are kept, and he is refused.
    expect(await carl.request("room.join_or_create", { room_type: "pair", room })).toMatchObject({ ok: false, reason: expect.stringMatching(/full/) });
    // Before: clients 0 of 2.
    expect(await listed(carl)).toEqual([expect.objectContaining({ room, clients: 2, max_clients: 2 })]);
    const adaBack = await player(again, "ada");
    expect((await adaBack.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true);
    expect(await listed(carl)).toEqual([expect.objectContaining({ room, clients: 2 })]);
  });
});

describe("room.list after a stop", () => {
  it("lists no room the stop unloaded, when a join it cut ends there later (its seat kept, its player gone)", async () => {
    const joining = deferred();
    const held = deferred();
    const slow = defineRoomType({
      async onJoin() {
        joining.resolve();
        await held.promise;
        ended.resolve();
      },
    });
    const ended = deferred();
    const rooms = createRooms({ types: { slow } });
    const server = await startServer(rooms.parties, { storage: "memory", sockets: rooms.sockets });
    const [ada, carl] = [await player(server, "ada"), await player(server, "carl")];
    const join = ada.request("room.join_or_create", { room_type: "slow", room: "s" });
    await waitFor(joining.promise, "ada's onJoin to run");
    // The room stops under the join; a reload that keeps the room type would carry the join on to its next instance
    // (h132), so this one drops it: the join cannot go on, and nothing runs the room.
    const without = createRooms({ types: { other: defineRoomType({}) } });
    await server.server.reload(without.parties);
    expect(await join).toMatchObject({ ok: false });
    held.resolve();
    // (Its seat kept at the stop, the stopped room runs nothing more for it: no onLeave there, rooms/h139-join-ends-after-stop.)
    await waitFor(ended.promise, "the cut join's onJoin to end in the stopped room");
    // Before (with the kept seat listed): the stopped room listed again as its cut join ended, though no room runs.
    expect((await carl.request("room.list", { room_type: "slow" })).rooms).toEqual([]);
  });
});
