/**
 * `yparty dev` with both protocols (`rooms` and `game` in yparty.json): a rebuild whose game module is refused (a
 * limit `createGame` does not take, a mode too big for its match) prints "Still serving the last good build", and the
 * server goes on with the last good parties. But the rooms mount had been swapped already (rooms come first): new
 * sockets reached a mount the server did not run, whose room directory nothing lists: `room.list` answered no rooms,
 * an unnamed `room.join_or_create` made a room of its own instead of the free seat next to the others', and a session
 * dropped before the rebuild could not be resumed. The mounts now change together, once every module made its own.
 *
 * The rebuilds are made by the CLI's own mount sources, as in test/cli/h115-dev-rebuild-notice.
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import { defineGame } from "../../src/game/index.js";
import { defineRooms, defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { rawClient } from "../rooms/helpers.js";
import { devMountSources } from "./dev-mounts.js";
import { deferredCleanups } from "./helpers.js";

const defer = deferredCleanups(afterEach);
afterEach(cleanupAll);

describe("yparty dev: a rebuild whose game module is refused", () => {
  it("keeps the rooms mount the server runs: listings, free seats and resumes as before", async () => {
    const { sources, mount } = await devMountSources(["rooms", "game"], defer);
    const rooms = defineRooms({ types: { lobby: defineRoomType({ maxClients: 4 }) } });
    const parties = mount({ rooms, game: example });
    const server = await startServer(parties, { storage: "memory", sockets: sources.sockets, routes: sources.routes });

    const ada = rawClient(server);
    const { session_id: adaSession } = await ada.handshake({ token: "dev:ada" });
    const joined = await ada.request("room.join_or_create", { room_type: "lobby" });
    expect(joined.ok).toBe(true);

    const refused = defineGame({ ...example, limits: { sessionTimeoutMs: Number.NaN } });
    expect(() => mount({ rooms, game: refused })).toThrow(/sessionTimeoutMs/);

    // The server still runs the first build: a new socket finds ada's room, listed, with a free seat.
    const bob = rawClient(server);
    await bob.handshake({ token: "dev:bob" });
    const listed = await bob.request("room.list", { room_type: "lobby" });
    expect(listed.rooms).toEqual([expect.objectContaining({ room: joined.room, clients: 1 })]);
    expect((await bob.request("room.join_or_create", { room_type: "lobby" })).room).toBe(joined.room);

    // A session whose socket dropped before the rebuild is resumed by a new socket.
    ada.client.close();
    await ada.client.closed;
    const back = rawClient(server);
    expect(await back.handshake({ token: "dev:ada", session_id: adaSession })).toMatchObject({
      resumed: true,
      rooms: [{ room: joined.room, room_type: "lobby" }],
    });
  });
});
