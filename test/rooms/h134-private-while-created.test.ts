/**
 * A room whose `onCreate` called `setPrivate()` (or `lock()`) and then awaited something (a deck to load) was, until
 * its `onCreate` returned, taken for a room being created for its named join: `room.list` showed it, and an unnamed
 * `room.join_or_create` meanwhile was promised a seat there and joined it, a stranger in the private room. What
 * `onCreate` says holds from the moment it says it: the room is known, unlisted, and no unnamed join is sent there.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, type TestServer, waitFor } from "../helpers/server.js";
import { rawClient, type RawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

async function player(server: TestServer, name: string): Promise<RawClient> {
  const client = rawClient(server);
  await client.handshake({ token: `dev:${name}` });
  return client;
}

describe("setPrivate() or lock() early in an onCreate still running", () => {
  for (const hide of ["setPrivate", "lock"] as const) {
    it(`${hide}(): not listed, and an unnamed join goes elsewhere`, async () => {
      const [creating, loaded] = [deferred(), deferred()];
      const table = defineRoomType({
        maxClients: 4,
        async onCreate(options) {
          if (options.hide === true) this[hide]();
          creating.resolve();
          await loaded.promise;
        },
      });
      const server = await startRooms({ table });
      const [ada, carl] = [await player(server, "ada"), await player(server, "carl")];
      const adaJoin = ada.request("room.join_or_create", { room_type: "table", room: "secret", options: { hide: true } });
      await waitFor(creating.promise, "secret's onCreate");

      // Before: [{room: "secret", clients: 1}], and carl's unnamed join was sent into it.
      expect((await carl.request("room.list", { room_type: "table" })).rooms).toEqual([]);
      const carlJoin = carl.request("room.join_or_create", { room_type: "table" });
      loaded.resolve();
      expect(await adaJoin).toMatchObject({ ok: true, room: "secret" });
      const joined = await carlJoin;
      expect(joined).toMatchObject({ ok: true });
      expect(joined.room).not.toBe("secret");
      expect((await carl.request("room.list", { room_type: "table" })).rooms).toEqual([expect.objectContaining({ room: joined.room, clients: 1 })]);
    });
  }
});
