/**
 * Helper 47: a player whose seat was kept across a restart, and whose join back fails with a plain error in
 * `onJoin` (a fault, not a `RoomError`), stays in the room's logic for good: no member, no kept seat (the join took
 * it), and no `onLeave`, ever. The `RoomError` case ends with `onLeave` (rejoin.test.ts); the fault does not:
 * `#joinInTurn` (src/rooms/room-party.ts) takes the seat (`this.#keptSeats.take(player)`) before `onJoin`, and its
 * `catch` rethrows anything but a `RoomError` (`if (!(error instanceof RoomError)) throw error;`), so the
 * `#notJoined(player, … seatKept)` after it, which would run `onLeave`, is never reached. (A fault that closes the
 * connection of a seated member runs `onLeave` — docs/rooms.md: "a room that closes a player's connection for another
 * reason (a fault, 1011)…"; a join back that faults should end the same.)
 */
import { EventEmitter, once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, waitFor } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

const hooks = new EventEmitter();

const guarded = defineRoomType<{ in: string[] }>({
  onCreate() {
    this.state = { in: [] };
  },
  onJoin(player, options) {
    if (options.fault === true) throw new Error("onJoin failed");
    if (!this.state.in.includes(player)) this.state.in.push(player);
  },
  onLeave(player) {
    this.state.in = this.state.in.filter((name) => name !== player);
    hooks.emit("leave", player);
  },
});

describe("rooms: a kept seat whose join back faults", () => {
  it("the player leaves the logic (onLeave), as when its seat expires or its join back is refused", async () => {
    const server = await startRooms({ guarded }, { limits: { resumeWindowMs: 300 }, server: { storage: "leveldb" } });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    expect((await ada.request("room.join_or_create", { room_type: "guarded", room: "g" })).ok).toBe(true);
    await ada.expect("state.snapshot");
    const restarted = await server.restart(); // ada's seat is kept for resumeWindowMs
    const left = once(hooks, "leave");
    const back = rawClient(restarted);
    await back.handshake({ token: "dev:ada" });
    const answer = await back.request("room.join_or_create", { room_type: "guarded", room: "g", options: { fault: true } });
    expect(answer.ok).toBe(false);
    // Before: nothing; ada is in the logic's state for good (the seat's timer went with the seat).
    expect(await waitFor(left, "ada's onLeave", 2000)).toEqual(["ada"]);
    const bob = rawClient(restarted);
    await bob.handshake({ token: "dev:bob" });
    await bob.request("room.join_or_create", { room_type: "guarded", room: "g" });
    expect((await bob.expect("state.snapshot")).p.state).toEqual({ in: ["bob"] });
  });
});
