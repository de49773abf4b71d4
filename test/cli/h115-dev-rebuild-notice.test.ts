/**
 * `yparty dev` makes a new mount at each rebuild (src/cli/serve/mounts.ts: `createRooms`/`createGame` again). A match
 * notice kept for a player whose socket dropped as its match was stored (match-notices.ts) belonged to the mount that
 * kept it: a player back after a rebuild, as a new session (its socket reaches the next mount), was never told
 * (no match.found / matchmaker.matched), while its seat stayed held and the other player waited for it in the match.
 * What matchmaking keeps now outlives the mounts in one owner per protocol (`MatchmakingState`: the players being
 * matched, the seats matches hold, the notices), kept by the mount sources; each mount's room directory keeps its own
 * listings and room types.
 *
 * The rebuilds are made as `yparty dev` makes them, by the CLI's own mount sources (as test/cli/h111-dev-rebuild-match);
 * the drop is made certain as in h89/h92: the first mount's match room stores its held seats only once the test lets
 * it (test/helpers/held-seat-store.ts), and the matchmaker says when it saw the dropped player's link close.
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import { matchmakerPartyName as modePartyName, matchPartyName } from "../../src/game/parties.js";
import { defineRooms, defineRoomType } from "../../src/rooms/index.js";
import { matchmakerPartyName } from "../../src/rooms/matchmaker-party.js";
import { roomPartyName } from "../../src/rooms/room-party.js";
import type { PartyModule } from "../../src/runtime/index.js";
import { dropWhileStored, holdSeatStore } from "../helpers/held-seat-store.js";
import { cleanupAll, startServer, type TestServer } from "../helpers/server.js";
import { waiting } from "../game/held-match.js";
import { gameClient } from "../game/helpers.js";
import { queued } from "../rooms/held-match.js";
import { rawClient } from "../rooms/helpers.js";
import { type Protocol, devMountSources } from "./dev-mounts.js";
import { deferredCleanups } from "./helpers.js";

const defer = deferredCleanups(afterEach);
afterEach(cleanupAll);

/**
 * A server on the mounts `yparty dev` makes of `protocol`: `enter` puts ada and bob in its queue, ada's socket drops
 * (`drop`) while their match's seats are stored, the store is let go (ada's notice kept), and `told` waits for bob's
 * notice. Then a rebuild: the next mount's parties reloaded. Returns the server.
 */
async function keptThenRebuilt<T>(
  protocol: Protocol,
  enter: (server: TestServer, name: string) => Promise<T>,
  drop: (client: T) => unknown,
  told: (client: T) => Promise<unknown>,
): Promise<{ server: TestServer; found: unknown }> {
  const { sources, mount } = await devMountSources([protocol.field], defer);
  const rebuild = (): Record<string, PartyModule> => mount({ [protocol.field]: protocol.exported });

  const first = holdSeatStore(rebuild(), ...protocol.parties);
  const server = await startServer(first.parties, { storage: "memory", sockets: sources.sockets, routes: sources.routes });
  const ada = await enter(server, "ada");
  const bob = await enter(server, "bob");
  await dropWhileStored(first, () => drop(ada));
  first.release();
  const found = await told(bob);
  await server.server.reload(rebuild());
  return { server, found };
}

describe("yparty dev: a match notice kept for a dropped player, then a rebuild", () => {
  it("rooms: the player back as a new session after the rebuild gets match.found, and its seat", async () => {
    const rooms = defineRooms({ types: { pair: defineRoomType({ maxClients: 2 }) } });
    const { server, found } = await keptThenRebuilt(
      { field: "rooms", exported: rooms, parties: [roomPartyName("pair"), matchmakerPartyName("pair")] },
      queued,
      (ada) => ada.client.close(),
      async (bob) => (await bob.expect("match.found")).p,
    );
    const back = rawClient(server);
    expect((await back.handshake({ token: "dev:ada" })).resumed).toBe(false);
    // Before: nothing came (the notice was the old mount's), and the seat held for ada kept bob waiting for her.
    expect((await back.expect("match.found", () => true, 2_000)).p).toEqual(found);
    const { room } = found as { room: string };
    expect((await back.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true);
  });

  it("game: the player back after the rebuild gets matchmaker.matched, and joins the match", async () => {
    const { server, found } = await keptThenRebuilt(
      { field: "game", exported: example, parties: [matchPartyName("arena"), modePartyName("arena")] },
      waiting,
      (ada) => ada.client.close(),
      async (bob) => (await bob.expect("matchmaker.matched")).payload,
    );
    const back = gameClient(server);
    await back.connect("ada");
    // Before: nothing came (the notice was the old mount's).
    const told = (await back.expect("matchmaker.matched", () => true, 2_000)).payload;
    expect(told).toMatchObject({ match_id: (found as { match_id: string }).match_id, players: ["ada", "bob"] });
    expect((await back.request("match.join", { match_id: told.match_id })).type).toBe("match.join");
  });
});
