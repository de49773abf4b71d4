/**
 * A named `room.join_or_create` whose room is being created (its `onCreate` still running: a lookup, a storage read)
 * was not in `room.list`, and an unnamed join meanwhile made a room of its own beside it: a second client saw no room,
 * and players meant to meet were split. The join's seat is now promised from the moment the join names the room, as
 * Colyseus counts a reserved seat: `room.list` shows the room with it, and an unnamed join takes a seat there.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, waitFor } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

describe("a room being created for a named join", () => {
  it("is listed with the join's seat, and an unnamed join meets it there", async () => {
    const creating = deferred();
    const created = deferred();
    const table = defineRoomType({
      maxClients: 4,
      async onCreate() {
        creating.resolve();
        await created.promise;
      },
    });
    const server = await startRooms({ table });
    const [ada, bob] = [rawClient(server), rawClient(server)];
    await ada.handshake({ token: "dev:ada" });
    await bob.handshake({ token: "dev:bob" });
    const adaJoin = ada.request("room.join_or_create", { room_type: "table", room: "t" });
    await waitFor(creating.promise, "the room's onCreate");

    // Before: [] — and bob's unnamed join made a second room.
    expect((await bob.request("room.list", { room_type: "table" })).rooms).toEqual([
      { room: "t", room_type: "table", clients: 1, max_clients: 4, metadata: {} },
    ]);
    expect((await bob.request("room.list", {})).rooms).toMatchObject([{ room: "t", clients: 1 }]);
    const bobJoin = bob.request("room.join_or_create", { room_type: "table" });
    created.resolve();
    expect(await adaJoin).toMatchObject({ ok: true, room: "t" });
    expect(await bobJoin).toMatchObject({ ok: true, room: "t" });
    expect((await ada.request("room.list", { room_type: "table" })).rooms).toEqual([
      { room: "t", room_type: "table", clients: 2, max_clients: 4, metadata: {} },
    ]);
  });

  it("is gone from the list once its creation failed", async () => {
    const table = defineRoomType({
      onCreate() {
        throw new Error("no table today");
      },
    });
    const server = await startRooms({ table });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    expect(await ada.request("room.join_or_create", { room_type: "table", room: "t" })).toMatchObject({ ok: false });
    expect((await ada.request("room.list", { room_type: "table" })).rooms).toEqual([]);
  });
});
