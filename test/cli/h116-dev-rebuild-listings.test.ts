/**
 * `yparty dev` makes a new rooms mount at each rebuild, and a rooms socket open across it stays its session's (the
 * rooms reload, the socket does not close). Each mount's room directory had its own listings: the rooms, back as the
 * next mount's instances, were listed only in the next mount's, while the old one lost them as they stopped. A page
 * left open across a save (its session on the old mount) then got `room.list` answered with no rooms, and its unnamed
 * `room.join_or_create` made a room of its own instead of taking the free seat next to the others. The listings are
 * now plain data that outlives the mounts (the `MatchmakingState`'s), each mount's directory reading them with its
 * code's room types.
 *
 * The rebuilds are made by the CLI's own mount sources, as in test/cli/h115-dev-rebuild-notice.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRooms, defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { rawClient } from "../rooms/helpers.js";
import { devMountSources } from "./dev-mounts.js";
import { deferredCleanups } from "./helpers.js";

const defer = deferredCleanups(afterEach);
afterEach(cleanupAll);

describe("yparty dev: a session open across a rebuild", () => {
  it("lists the rooms and finds their free seats as a new session does", async () => {
    const { sources, mount } = await devMountSources(["rooms"], defer);
    const rooms = defineRooms({ types: { lobby: defineRoomType({ maxClients: 4 }) } });
    const server = await startServer(mount({ rooms }), { storage: "memory", sockets: sources.sockets });

    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    const { room } = await ada.request("room.join_or_create", { room_type: "lobby" });
    await ada.expect("state.snapshot");
    const cy = rawClient(server); // open across the rebuild, in no room
    await cy.handshake({ token: "dev:cy" });

    await server.server.reload(mount({ rooms }));
    await ada.expect("state.snapshot"); // ada's session is back in its room, on the next mount's code

    const bob = rawClient(server); // a session of the next mount
    await bob.handshake({ token: "dev:bob" });
    const listed = [expect.objectContaining({ room, clients: 1, max_clients: 4 })];
    expect((await bob.request("room.list", { room_type: "lobby" })).rooms).toEqual(listed);
    // Before: [] for the sessions of the first mount, and a room of cy's own.
    expect((await cy.request("room.list", { room_type: "lobby" })).rooms).toEqual(listed);
    expect((await ada.request("room.list", {})).rooms).toEqual(listed);
    expect((await cy.request("room.join_or_create", { room_type: "lobby" })).room).toBe(room);
    expect((await bob.request("room.join_or_create", { room_type: "lobby" })).room).toBe(room);
    expect((await bob.request("room.list", { room_type: "lobby" })).rooms).toEqual([expect.objectContaining({ room, clients: 3 })]);
  });
});
