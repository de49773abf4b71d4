/**
 * A room a join created whose join was refused (its `onJoin` threw a `RoomError`: a password, a ban), and that nobody
 * else got into, stayed: listed with `clients: 0` until it unloaded, and stored for good. An unnamed join refused by
 * every room left four such rooms with random names nobody could know but from the listing. Colyseus disposes a room
 * whose creating join failed (autoDispose, its last seat gone): it now goes as a disposed room does once empty (its
 * storage deleted, not listed), and the next join creates it anew. A room someone joined stays, empty or not.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType, RoomError } from "../../src/rooms/index.js";
import { cleanupAll, storageEmptied } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

let creations = 0;
/** Refuses a join with `{refuse: true}`; counts its `onCreate`s. */
const gate = defineRoomType<{ players: string[] }>({
  maxClients: 4,
  onCreate() {
    creations++;
    this.state = { players: [] };
  },
  onJoin(player, options) {
    if (options.refuse === true) throw new RoomError("refused: wrong password");
    this.state.players.push(player);
  },
  onLeave(player) {
    this.state.players = this.state.players.filter((name) => name !== player);
  },
});

describe("a room whose creating join was refused", () => {
  it("an unnamed join refused everywhere leaves no room listed nor stored", async () => {
    const server = await startRooms({ gate });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    const answer = await ada.request("room.join_or_create", { room_type: "gate", options: { refuse: true } });
    expect(answer).toMatchObject({ ok: false, reason: "refused: wrong password" });
    // Before: the rooms it made (4) listed with clients 0 until they unloaded.
    expect((await ada.request("room.list", { room_type: "gate" })).rooms).toEqual([]);
    await storageEmptied(server, `rooms.gate/${answer.room}`);
  });

  it("a named one is created anew by the next join, and a room once joined stays listed empty", async () => {
    const server = await startRooms({ gate });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    creations = 0;
    expect(await ada.request("room.join_or_create", { room_type: "gate", room: "g", options: { refuse: true } })).toMatchObject({ ok: false });
    expect((await ada.request("room.list", { room_type: "gate" })).rooms).toEqual([]);
    await storageEmptied(server, "rooms.gate/g");

    expect(await ada.request("room.join_or_create", { room_type: "gate", room: "g" })).toMatchObject({ ok: true, room: "g" });
    expect(creations).toBe(2);
    expect(await ada.request("room.leave", { room: "g" })).toMatchObject({ ok: true });
    // Not disposed: its state is kept, and it is listed while it is loaded (Colyseus's autoDispose = false).
    expect((await ada.request("room.list", { room_type: "gate" })).rooms).toMatchObject([{ room: "g", clients: 0 }]);
  });
});
