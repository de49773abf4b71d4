/**
 * A player whose join was under way counted twice in `room.list` and for an unnamed join's seat, once its named join
 * promised a seat (h132): a matched participant (its seat held by the match, and promised to its join), a join cut by
 * a reload going on in the room's next instance (its seat kept at the stop, and promised). A room with a free seat was
 * listed full, and an unnamed join made a needless room beside it. Each player now counts once.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType, MatchmakingState, RoomsSessions, type RoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, startServer, type TestServer, waitFor } from "../helpers/server.js";
import { type P, rawClient, type RawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

/** Room type `trio` (three seats) whose `onJoin` of `slow` waits for `gate`, telling `entered` it runs. */
function trio(slow: string, gate: Promise<void>, entered: () => void): RoomType<any> {
  return defineRoomType({
    maxClients: 3,
    async onJoin(player) {
      if (player !== slow) return;
      entered();
      await gate;
    },
  });
}

async function player(server: TestServer, name: string): Promise<RawClient> {
  const client = rawClient(server);
  await client.handshake({ token: `dev:${name}` });
  return client;
}

async function listed(client: RawClient): Promise<P[]> {
  return (await client.request("room.list", { room_type: "trio" })).rooms as P[];
}

describe("a player whose join is under way counts once", () => {
  it("a matched participant joining its match's room (its seat held and promised)", async () => {
    const [entered, gate] = [deferred(), deferred()];
    const server = await startRooms({ trio: trio("bob", gate.promise, entered.resolve) });
    const [ada, bob, carl] = [await player(server, "ada"), await player(server, "bob"), await player(server, "carl")];
    for (const client of [ada, bob]) expect((await client.request("matchmaking.enqueue", { room_type: "trio", size: 2 })).ok).toBe(true);
    const { room } = (await ada.expect("match.found")).p;
    expect((await ada.request("room.join_or_create", { room_type: "trio", room })).ok).toBe(true);
    const bobJoin = bob.request("room.join_or_create", { room_type: "trio", room });
    await waitFor(entered.promise, "bob's onJoin");

    // Before: clients 3 of 3 (bob's held seat and his promised one), and carl's unnamed join made a room of its own.
    expect(await listed(carl)).toEqual([{ room, room_type: "trio", clients: 2, max_clients: 3, metadata: {} }]);
    const carlJoin = await carl.request("room.join_or_create", { room_type: "trio" });
    expect(carlJoin).toMatchObject({ ok: true, room });
    gate.resolve();
    expect(await bobJoin).toMatchObject({ ok: true, room });
    expect(await listed(carl)).toEqual([expect.objectContaining({ room, clients: 3 })]);
  });

  it("a join cut by a reload, going on in the room's next instance (its seat kept and promised)", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const [entered, reentered, gate] = [deferred(), deferred(), deferred()];
    const first = createRooms({ types: { trio: trio("bob", new Promise<void>(() => {}), entered.resolve) }, matchmaking, sessions });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const [ada, bob, carl] = [await player(server, "ada"), await player(server, "bob"), await player(server, "carl")];
    expect((await ada.request("room.join_or_create", { room_type: "trio", room: "t" })).ok).toBe(true);
    const bobJoin = bob.request("room.join_or_create", { room_type: "trio", room: "t" });
    await waitFor(entered.promise, "bob's onJoin on the first code");
    const next = createRooms({ types: { trio: trio("bob", gate.promise, reentered.resolve) }, matchmaking, sessions });
    next.serve();
    await waitFor(server.server.reload(next.parties), "the reload");
    await waitFor(reentered.promise, "bob's onJoin on the reloaded code");

    // Before: clients 3 of 3, and carl's unnamed join made a room of its own.
    expect(await listed(carl)).toEqual([{ room: "t", room_type: "trio", clients: 2, max_clients: 3, metadata: {} }]);
    expect(await carl.request("room.join_or_create", { room_type: "trio" })).toMatchObject({ ok: true, room: "t" });
    gate.resolve();
    expect(await bobJoin).toMatchObject({ ok: true, room: "t" });
    expect(await listed(carl)).toEqual([expect.objectContaining({ room: "t", clients: 3 })]);
  });
});
