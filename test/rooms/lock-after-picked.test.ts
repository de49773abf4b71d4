/**
 * An unnamed `room.join_or_create` that found a room listed with a free seat (its seat promised there, as Colyseus
 * reserves one) was refused as locked, and sent to another room, when the room's logic called `lock()` before the join
 * reached it. Colyseus lets a seat reserved before `lock()` in; so does yparty now, as for `setPrivate()`
 * (rooms/h139-private-after-picked). A join that picks after the lock does not find the room (rooms/h132-lock-private).
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

describe("an unnamed join of a room locked after it was picked", () => {
  it("takes the seat it was promised; a join after the lock goes elsewhere", async () => {
    const leaving = deferred();
    const gate = deferred();
    /** Input `lock`; bob's onLeave waits for `gate` (his next join waits for it in the room). */
    const table = defineRoomType<{ locked: boolean }>({
      maxClients: 4,
      onCreate() {
        this.state = { locked: false };
      },
      async onLeave(player) {
        if (player !== "bob") return;
        leaving.resolve();
        await gate.promise;
      },
      onInput({ type }) {
        if (type === "lock") this.lock();
        this.state.locked = this.state.locked || type === "lock";
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
    ada.send("room.message", { room: "t", type: "lock", data: null });
    await ada.expect("state.patch", (p) => p.room === "t" && JSON.stringify(p.ops).includes("locked"));
    gate.resolve();
    // Before: {ok: true, room: <a new room>}: refused there as locked, it made another.
    expect(await joined).toMatchObject({ ok: true, room: "t" });

    const cyd = rawClient(server);
    await cyd.handshake({ token: "dev:cyd" });
    const later = await cyd.request("room.join_or_create", { room_type: "table" });
    expect(later).toMatchObject({ ok: true });
    expect((later as { room: string }).room).not.toBe("t");
  });
});
