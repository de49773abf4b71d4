/**
 * An unnamed `room.join_or_create` that found a room listed with a free seat (its seat promised there, as Colyseus
 * reserves one) was sent to another room when the room went private (`setPrivate()`) before the join reached it, and
 * so it was when the room locked (`lock()`). Colyseus lets a seat reserved before either in; so does yparty now. (One
 * sent to a room still being created for another join, which its onCreate makes private, still goes elsewhere:
 * rooms/h134-private-while-created; a join that picks after the change does not find the room: rooms/h132-lock-private.)
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

describe("an unnamed join of a room that went private, or locked, after it was picked", () => {
  it.each(["private", "lock"] as const)("takes the seat it was promised (%s); a join after it goes elsewhere", async (change) => {
    const leaving = deferred();
    const gate = deferred();
    /** Input `private` or `lock`; bob's onLeave waits for `gate` (his next join waits for it in the room). */
    const table = defineRoomType<{ changed: boolean }>({
      maxClients: 4,
      onCreate() {
        this.state = { changed: false };
      },
      async onLeave(player) {
        if (player !== "bob") return;
        leaving.resolve();
        await gate.promise;
      },
      onInput({ type }) {
        if (type === "private") this.setPrivate();
        if (type === "lock") this.lock();
        this.state.changed = true;
      },
    });
    const server = await startRooms({ table });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    expect(await ada.request("room.join_or_create", { room_type: "table", room: "t" })).toMatchObject({ ok: true });
    const bob = rawClient(server);
    await bob.handshake({ token: "dev:bob" });
    expect(await bob.request("room.join_or_create", { room_type: "table", room: "t" })).toMatchObject({ ok: true });

    // Bob leaves and joins any room at once: "t" is listed with a free seat, and his join waits there for his onLeave.
    bob.send("room.leave", { room: "t" }, "leave");
    const joined = bob.request("room.join_or_create", { room_type: "table" });
    await leaving.promise;
    await bob.request("room.list", { room_type: "table" }); // his join was picked (his frames are handled in order)
    ada.send("room.message", { room: "t", type: change, data: null });
    await ada.expect("state.patch", (p) => p.room === "t" && JSON.stringify(p.ops).includes("changed"));
    gate.resolve();
    // Before: {ok: true, room: <a new room>}: refused there as private (or locked), it made another.
    expect(await joined).toMatchObject({ ok: true, room: "t" });

    const cyd = rawClient(server);
    await cyd.handshake({ token: "dev:cyd" });
    const later = (await cyd.request("room.join_or_create", { room_type: "table" })) as { ok: boolean; room: string };
    expect(later.ok).toBe(true);
    expect(later.room).not.toBe("t");
  });
});
