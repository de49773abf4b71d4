/**
 * An unnamed `room.join_or_create` goes to "a room of that type with a free seat, else a new one" (docs/rooms.md); a
 * listed room that refuses it (full for the room — kept seats — or a `RoomError` in `onJoin`: a locked room, a game
 * under way) makes it try another, `FREE_ROOM_ATTEMPTS` (3) of them "before it creates one" (src/rooms/session.ts).
 * It never creates one: after the third refusal the next room tried is one more listed room, and when that refuses
 * too the join fails with its reason. With four locked rooms of the type, no unnamed join gets a room any more.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { lockableRoom } from "./fixtures.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

describe("rooms: an unnamed join when the listed rooms refuse it", () => {
  it("after FREE_ROOM_ATTEMPTS refusals it creates a room", async () => {
    const server = await startRooms({ lockable: lockableRoom() });
    const host = rawClient(server);
    await host.handshake({ token: "dev:host" });
    for (const room of ["a", "b", "c", "d"]) {
      expect((await host.request("room.join_or_create", { room_type: "lockable", room })).ok).toBe(true);
      host.send("room.message", { room, type: "lock", data: null });
      await host.expect("state.patch", (p) => p.room === room && JSON.stringify(p.ops).includes("locked"));
    }

    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    const answer = await ada.request("room.join_or_create", { room_type: "lockable" });
    // Before: {ok: false, reason: "the room is locked"}: four listed rooms tried, none created.
    expect(answer).toMatchObject({ ok: true, room_type: "lockable" });
    expect(["a", "b", "c", "d"]).not.toContain(answer.room);
  });
});
