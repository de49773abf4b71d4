/**
 * The seats of a room with players, as `room.list` counts them, across a reload of the code (`server.reload` with a
 * new `createRooms`, the sessions kept). Found by the model-based test (h136-listing-model: its lower bound on
 * `clients` while a batch runs, seeds 55 and 73).
 *
 * - Back after the reload, the room listed a free seat while a seated player was joining back: its kept seat is taken
 *   as its join starts, and the player, in `onJoin`, was neither seated nor promised a seat in the listing (a session's
 *   join back is not a new join). `room.list` showed a full room with a free seat (the room itself counted the join,
 *   so an unnamed join still went elsewhere).
 * - As the room stopped, each player's connection closed (1012) took it out of the listing before its seat was kept:
 *   `room.list` showed a full room with free seats until the room was gone from it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType, MatchmakingState, RoomsSessions, type RoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

/** Room type `duo` (two seats) whose `onJoin` of each player waits for that player's gate, if it has one. */
function duo(gates: Record<string, { entered(): void; gate: Promise<void> }> = {}): RoomType<any> {
  return defineRoomType({
    maxClients: 2,
    async onJoin(player) {
      gates[player]?.entered();
      await gates[player]?.gate;
    },
  });
}

describe("a room back after a reload", () => {
  it("counts a seated player joining back in room.list, and an unnamed join goes elsewhere", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const first = createRooms({ types: { duo: duo() }, matchmaking, sessions });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const [ada, bob, carl] = ["ada", "bob", "carl"].map(() => rawClient(server));
    for (const [client, name] of [
      [ada, "ada"],
      [bob, "bob"],
      [carl, "carl"],
    ] as const)
      await client!.handshake({ token: `dev:${name}` });
    for (const client of [ada, bob]) expect((await client!.request("room.join_or_create", { room_type: "duo", room: "d" })).ok).toBe(true);

    // On the reloaded code, bob's join back waits in onJoin; ada's is done after bob's started.
    const [adaIn, adaGate, bobIn, bobGate] = [deferred(), deferred(), deferred(), deferred()];
    const next = createRooms({
      types: { duo: duo({ ada: { entered: adaIn.resolve, gate: adaGate.promise }, bob: { entered: bobIn.resolve, gate: bobGate.promise } }) },
      matchmaking,
      sessions,
    });
    next.serve();
    await waitFor(server.server.reload(next.parties), "the reload");
    await waitFor(Promise.all([adaIn.promise, bobIn.promise]), "both joins back in onJoin");
    adaGate.resolve();
    await ada!.expect("state.snapshot", (p) => p.room === "d"); // ada is back (the room lists itself)

    // Before: clients 1 (bob, in onJoin, was not counted).
    const { rooms } = await carl!.request("room.list", { room_type: "duo" });
    expect(rooms).toEqual([{ room: "d", room_type: "duo", clients: 2, max_clients: 2, metadata: {} }]);
    const carlJoin = await carl!.request("room.join_or_create", { room_type: "duo" });
    expect(carlJoin.ok).toBe(true);
    expect(carlJoin.room).not.toBe("d");
    bobGate.resolve();
    await bob!.expect("state.snapshot", (p) => p.room === "d");
  });

  it("a room stopping for the reload lists its players' seats until it is gone", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const first = createRooms({ types: { duo: duo() }, matchmaking, sessions });
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const [ada, bob] = [rawClient(server), rawClient(server)];
    await ada.handshake({ token: "dev:ada" });
    await bob.handshake({ token: "dev:bob" });
    for (const client of [ada, bob]) expect((await client.request("room.join_or_create", { room_type: "duo", room: "d" })).ok).toBe(true);
    // What room.list counts for d at each change of its listing (a probe on the listings the mounts share).
    const counted: number[] = [];
    const update = matchmaking.listings.update.bind(matchmaking.listings);
    matchmaking.listings.update = (listing, seated, listed) => {
      if (listing.room === "d") counted.push(seated.length);
      update(listing, seated, listed);
    };

    const next = createRooms({ types: { duo: duo() }, matchmaking, sessions });
    next.serve();
    await waitFor(server.server.reload(next.parties), "the reload");
    await Promise.all([ada, bob].map((client) => client.expect("state.snapshot", (p) => p.room === "d")));
    expect(counted.length).toBeGreaterThan(0);
    // Before: [1, 1]: each connection the stop closed took its player out before its seat was kept.
    expect(counted.filter((seats) => seats < 2)).toEqual([]);
  });
});
