/**
 * `yparty dev` makes a new mount at each rebuild, and a mount's parties log to the server's logger only once a socket
 * reached that mount's handler (it learnt the server there). Sessions open across the rebuild rejoin the new mount's
 * rooms without a new socket: until one came, what those rooms logged (a hook that threw: `room.hook_failed`) went
 * nowhere. A mount now logs to the server as it is served (src/rooms/served-sessions.ts: `hostedBy`).
 *
 * The rebuilds are made by the CLI's own mount sources, as in test/cli/h116-dev-rebuild-listings.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRooms, defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { rawClient } from "../rooms/helpers.js";
import { devMountSources } from "./dev-mounts.js";
import { deferredCleanups } from "./helpers.js";

const defer = deferredCleanups(afterEach);
afterEach(cleanupAll);

describe("yparty dev: a rebuild with sessions open", () => {
  it("the new mount's rooms log to the server before any new socket comes", async () => {
    const { sources, mount } = await devMountSources(["rooms"], defer);
    const server = await startServer(mount({ rooms: defineRooms({ types: { lobby: defineRoomType({}) } }) }), { storage: "memory", sockets: sources.sockets });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    expect((await ada.request("room.join_or_create", { room_type: "lobby", room: "l" })).ok).toBe(true);

    // The next build's lobby ticks, and its tick throws: ada's session joins it back by itself.
    let thrown = 0;
    const ticking = defineRoomType({
      tickMs: 10,
      onTick() {
        if (++thrown === 1) throw new Error("a bug in the new build's onTick");
      },
    });
    await server.server.reload(mount({ rooms: defineRooms({ types: { lobby: ticking } }) }));
    // Before: nothing logged (the new mount's logger was silent until a socket reached it).
    expect(await server.logged("room.hook_failed")).toMatchObject({ hook: "onTick", party: "rooms.lobby", room: "l" });
  });
});
