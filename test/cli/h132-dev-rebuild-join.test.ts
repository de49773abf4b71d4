/**
 * `yparty dev`: a save while a client's `room.join_or_create` is under way (its `onJoin` waits) answered the join
 * `ok: false` ("could not be joined (1012 Server code reloaded)"). The join now goes on on the rebuilt code and is
 * answered `ok: true` from there; and the rebuild's mount, served by the CLI before the reload, is not taken for one
 * whose `serve()` was forgotten. The rebuilds are made by the CLI's own mount sources, as in h123-dev-two-rebuilds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRooms, defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, onCleanup, startServer, waitFor } from "../helpers/server.js";
import { rawClient } from "../rooms/helpers.js";
import { devMountSources } from "./dev-mounts.js";
import { deferredCleanups } from "./helpers.js";

const defer = deferredCleanups(afterEach);
afterEach(cleanupAll);

/** Build `build` of room type `lobby`: its onJoin waits for `gate` (the first build's, never let go during the test). */
function lobby(build: number, gate?: Promise<void>, joining?: () => void) {
  return defineRoomType<{ players: Record<string, number> }>({
    onCreate() {
      this.state = { players: {} };
    },
    async onJoin(player) {
      joining?.();
      await gate;
      this.state.players[player] = build;
    },
  });
}

describe("yparty dev: a rebuild under a join", () => {
  it("the join is answered ok from the rebuilt code", async () => {
    const { sources, mount } = await devMountSources(["rooms"], defer);
    const joining = deferred();
    const gate = deferred();
    onCleanup(() => gate.resolve());
    const first = mount({ rooms: defineRooms({ types: { lobby: lobby(1, gate.promise, joining.resolve) } }) });
    const server = await startServer(first, { storage: "memory", sockets: sources.sockets });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    const answer = ada.request("room.join_or_create", { room_type: "lobby", room: "l" });
    await waitFor(joining.promise, "ada's onJoin on the first build");

    await server.server.reload(mount({ rooms: defineRooms({ types: { lobby: lobby(2) } }) }));
    expect(await answer).toMatchObject({ ok: true, room: "l" });
    expect((await ada.expect("state.snapshot")).p.state).toEqual({ players: { ada: 2 } });
    await ada.request("room.list", {}); // a round trip past the check that follows the reload
    expect(server.logs.filter((entry) => entry.event === "rooms.mount_not_served")).toEqual([]);
  });
});
