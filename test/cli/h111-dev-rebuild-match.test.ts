/**
 * `yparty dev` makes a new mount at each rebuild (src/cli/serve/mounts.ts: `createRooms`/`createGame` again), with new
 * matchmaker parties. A match being made as the code reloads (its seats being stored: the players are told only after)
 * was made a second time: the sessions enter the queue again by themselves in the new mount's matchmaker (their links
 * closed 1012), which knew nothing of the old mount's matches, and matched them again (two match.found or
 * matchmaker.matched each, seats held in two matches). The players being matched now outlive the mounts (one
 * `MatchesBeingMadeByQueue` per protocol, kept by the mount sources), as they outlived a reload with the same mount
 * (test/rooms/h106-late-match-refusal, test/game/h106-reload-while-matched).
 *
 * The rebuilds are made as `yparty dev` makes them, by the CLI's own mount sources; the timing is made certain as in
 * h106: the first mount's match room stores its held seats only once the test lets it (test/helpers/held-seat-store.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import { matchmakerPartyName as modePartyName, matchPartyName } from "../../src/game/parties.js";
import { defineRooms, defineRoomType } from "../../src/rooms/index.js";
import { matchmakerPartyName } from "../../src/rooms/matchmaker-party.js";
import { roomPartyName } from "../../src/rooms/room-party.js";
import { type HeldSeatStore, holdSeatStore } from "../helpers/held-seat-store.js";
import { cleanupAll, startServer, type TestServer, waitFor } from "../helpers/server.js";
import { matcheds, waiting } from "../game/held-match.js";
import { queued } from "../rooms/held-match.js";
import { type Protocol, devMountSources } from "./dev-mounts.js";
import { deferredCleanups } from "./helpers.js";

const defer = deferredCleanups(afterEach);
afterEach(cleanupAll);

/**
 * A server on the mounts `yparty dev` makes of `protocol`, two players in its queue and their match's seats being
 * stored; then a rebuild (a new mount, whose store is not held) while they are, the two sessions in the next
 * mount's queue, and the first store let go.
 */
async function rebuiltWhileStored(protocol: Protocol, enter: (server: TestServer, name: string) => Promise<unknown>): Promise<TestServer> {
  const { sources, mount } = await devMountSources([protocol.field], defer);
  const rebuild = (): HeldSeatStore => holdSeatStore(mount({ [protocol.field]: protocol.exported }), ...protocol.parties);

  const first = rebuild();
  const server = await startServer(first.parties, { storage: "memory", sockets: sources.sockets, routes: sources.routes });
  await enter(server, "ada");
  await enter(server, "bob");
  await waitFor(first.storing, "the match's room to store the held seats");
  const next = rebuild();
  next.release(); // only the first mount's store is held
  let entered = 0;
  const enteredAgain = new Promise<void>((resolve) => next.queue.on("message", () => ++entered === 2 && resolve()));
  const reloaded = server.server.reload(next.parties);
  await waitFor(enteredAgain, "both sessions to enter the next mount's queue by themselves");
  first.release();
  await reloaded;
  return server;
}

describe("yparty dev: a rebuild while a match's seats are stored", () => {
  it("rooms: its players are told once, and not matched again by the next mount's matchmaker", async () => {
    const clients = new Map<string, Awaited<ReturnType<typeof queued>>>();
    const rooms = defineRooms({ types: { pair: defineRoomType({ maxClients: 2 }) } });
    const server = await rebuiltWhileStored(
      { field: "rooms", exported: rooms, parties: [roomPartyName("pair"), matchmakerPartyName("pair")] },
      async (at, name) => clients.set(name, await queued(at, name)),
    );
    const [ada, bob] = [clients.get("ada")!, clients.get("bob")!];
    const match = (await ada.expect("match.found")).p;
    expect((await bob.expect("match.found")).p).toEqual(match);
    // The queue they entered again is the match's: let go, and carl and dave are matched with each other.
    const carl = await queued(server, "carl");
    await queued(server, "dave");
    // Before: the next mount had matched ada and bob again, in another room.
    expect((await carl.expect("match.found")).p.participants).toEqual(["carl", "dave"]);
    for (const client of [ada, bob]) {
      // The queue it entered again was let go (and a round trip: every frame before the answer is in).
      expect((await client.request("matchmaking.dequeue", { room_type: "pair" })).dequeued).toBe(0);
      expect(client.received.filter((envelope) => envelope.t === "match.found").map((envelope) => envelope.p)).toEqual([match]);
    }
  });

  it("game: its players are told once, and not matched again by the next mount's matchmaker", async () => {
    const clients = new Map<string, Awaited<ReturnType<typeof waiting>>>();
    const server = await rebuiltWhileStored(
      { field: "game", exported: example, parties: [matchPartyName("arena"), modePartyName("arena")] },
      async (at, name) => clients.set(name, await waiting(at, name)),
    );
    const [ada, bob] = [clients.get("ada")!, clients.get("bob")!];
    const matched = (await ada.expect("matchmaker.matched")).payload;
    expect((await bob.expect("matchmaker.matched")).payload.match_id).toBe(matched.match_id);
    const carl = await waiting(server, "carl");
    await waiting(server, "dave");
    // Before: the next mount had matched ada's and bob's tickets added again (a second matchmaker.matched each).
    expect((await carl.expect("matchmaker.matched")).payload.players).toEqual(["carl", "dave"]);
    for (const client of [ada, bob]) {
      expect((await client.request("match.join", { match_id: matched.match_id })).type).toBe("match.join"); // a round trip
      expect(matcheds(client)).toHaveLength(1);
    }
  });
});
