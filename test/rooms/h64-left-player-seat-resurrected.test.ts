/**
 * A room stores who is seated (`seated`) with its state, but only when a patch (or a stop with seats kept) makes it
 * save. A player who leaves through an `onLeave` that does not change the state (a scoreboard keeps the scores of
 * those who left) is not written out of `seated`: the room's next idle unload does not save either (no save pending,
 * no seat kept), so when the room is loaded again it restores that player as a kept seat. The seat counts toward
 * `maxClients` (a new player is refused "full"), and the player who left gets a second `onLeave` when it expires.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, pollUntil } from "../helpers/server.js";
import { type P, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

const left: string[] = [];

/** One seat; keeps every player's score, also after it left. */
const duel = defineRoomType<{ scores: Record<string, number> }>({
  maxClients: 1,
  onCreate() {
    this.state = { scores: {} };
  },
  onJoin(player) {
    this.state.scores[player] ??= 0;
  },
  onLeave(player) {
    left.push(player);
  },
  onInput({ type, sender }) {
    if (type === "score") this.state.scores[sender]!++;
  },
});

describe("rooms: a player who left is not seated again when the room is loaded again", () => {
  it("after a leave whose onLeave kept the state, an idle unload and a reload of the room: the seat is free", async () => {
    const server = await startRooms({ duel }, { limits: { saveIntervalMs: 0 }, server: { limits: { idleUnloadMs: 20 } } });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    expect((await ada.request("room.join_or_create", { room_type: "duel", room: "d" })).ok).toBe(true);
    await ada.expect("state.snapshot");
    ada.send("room.message", { room: "d", type: "score", data: null });
    await ada.expect("state.patch"); // stored with ada seated (saveIntervalMs 0)
    expect((await ada.request("room.leave", { room: "d" })).ok).toBe(true);
    await pollUntil("ada's onLeave", async () => (left.includes("ada") ? true : undefined));
    // The room, empty, unloads idle (it leaves the directory as it stops).
    await pollUntil("room d to unload", async () => {
      const { rooms } = await ada.request("room.list", { room_type: "duel" });
      return (rooms as P[]).length === 0 || undefined;
    });

    const bob = rawClient(server);
    await bob.handshake({ token: "dev:bob" });
    const answer = await bob.request("room.join_or_create", { room_type: "duel", room: "d" });
    // Before: {ok: false, reason: 'room "d" is full (1 clients)'}: ada, who left, was restored as a kept seat.
    expect(answer).toMatchObject({ ok: true, room: "d" });
    expect(left).toEqual(["ada"]);
  });
});
