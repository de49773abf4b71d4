/**
 * A player joining a room it is already a member of through another connection: after leaving it at once (a "play
 * again"), or from a second session taking its seat over.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType, RoomError } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { visits, type Visits } from "./fixtures.js";
import { rawClient, startRooms, type RawClient } from "./helpers.js";
import type { TestServer } from "../helpers/server.js";

afterEach(cleanupAll);

async function member(server: TestServer, token: string, room: string): Promise<{ client: RawClient; state: Visits }> {
  const client = rawClient(server);
  await client.handshake({ token });
  expect((await client.request("room.join_or_create", { room_type: "visits", room })).ok).toBe(true);
  return { client, state: (await client.expect("state.snapshot")).p.state as Visits };
}

/** Sends `room.leave` and `room.join_or_create` of `room` back to back (one TCP write), and returns the new snapshot. */
async function leaveAndJoinAtOnce(client: RawClient, room: string): Promise<Visits> {
  const left = client.request("room.leave", { room });
  const joined = client.request("room.join_or_create", { room_type: "visits", room });
  expect((await left).ok).toBe(true);
  expect((await joined).ok).toBe(true);
  return (await client.expect("state.snapshot")).p.state as Visits;
}

describe("rooms: joining again at once", () => {
  it("a leave then a join of the same room at once is a leave (onLeave) and a join (onJoin), in that order", async () => {
    const server = await startRooms({ visits });
    const { client: ada } = await member(server, "dev:ada", "r");
    const state = await leaveAndJoinAtOnce(ada, "r");
    // Before: the room saw the new link's join before the old link's close, took it for the same member again (no
    // onJoin), then ignored the old close as replaced (no onLeave): joins 1, leaves 0.
    expect(state).toMatchObject({ joins: 2, leaves: 1, in: ["ada"] });
  });

  it("a disposed room left and joined at once is created anew", async () => {
    const server = await startRooms({ visits });
    const { client: ada, state: first } = await member(server, "dev:ada", "d");
    ada.send("room.message", { room: "d", type: "end", data: null });
    const state = await leaveAndJoinAtOnce(ada, "d");
    // Before: the disposed room, never forgotten (its member was never gone), and no onJoin.
    expect(state).toMatchObject({ joins: 1, leaves: 0, in: ["ada"] });
    expect(state.created).toBeGreaterThanOrEqual(first.created);
    expect(state).not.toEqual(first);
  });

  it("a second session of the same player takes the seat over: no onLeave, no onJoin; the first is told", async () => {
    const server = await startRooms({ visits });
    const { client: first } = await member(server, "dev:ada", "s");
    const { client: second, state } = await member(server, "dev:ada", "s");
    expect(state).toMatchObject({ joins: 1, leaves: 0, in: ["ada"] });
    const told = await first.expect("error", (p) => p.closed === true);
    expect(told.p.reason).toContain("4009");
    // The seat is the second session's: it leaves, and the player is gone.
    const { client: bob } = await member(server, "dev:bob", "s");
    expect((await second.request("room.leave", { room: "s" })).ok).toBe(true);
    const patch = await bob.expect("state.patch", (p) => p.ops.some((op: { path: string }) => op.path === "/leaves"));
    expect(patch.p.ops).toContainEqual({ op: "replace", path: "/leaves", value: 1 });
  });

  it("two joins of one player waiting for the same close are both answered", async () => {
    const server = await startRooms({ visits });
    const { client: first } = await member(server, "dev:ada", "w");
    const second = rawClient(server);
    await second.handshake({ token: "dev:ada" });
    // Each join finds the first session's connection closed and its close not handled yet.
    const left = first.request("room.leave", { room: "w" });
    const joined = [
      first.request("room.join_or_create", { room_type: "visits", room: "w" }),
      second.request("room.join_or_create", { room_type: "visits", room: "w" }),
    ];
    expect((await left).ok).toBe(true);
    // Whichever link the room keeps (the later replaces the earlier, 4009), no join is left unanswered.
    const answers = await Promise.all(joined);
    expect(answers.map((answer) => typeof answer.ok)).toEqual(["boolean", "boolean"]);
  });

  it("a player whose seat was kept across a restart and whose join back is refused leaves (onLeave)", async () => {
    const guarded = defineRoomType<{ in: string[] }>({
      onCreate() {
        this.state = { in: [] };
      },
      onJoin(player, options) {
        if (options.refuse === true) throw new RoomError("not now");
        if (!this.state.in.includes(player)) this.state.in.push(player);
      },
      onLeave(player) {
        this.state.in = this.state.in.filter((name) => name !== player);
      },
    });
    const server = await startRooms({ guarded }, { server: { storage: "leveldb" } });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    await ada.request("room.join_or_create", { room_type: "guarded", room: "g" });
    await ada.expect("state.snapshot");
    const restarted = await server.restart(); // ada's seat is kept for resumeWindowMs
    const back = rawClient(restarted);
    await back.handshake({ token: "dev:ada" });
    expect(await back.request("room.join_or_create", { room_type: "guarded", room: "g", options: { refuse: true } })).toMatchObject({
      ok: false,
      reason: "not now",
    });
    const bob = rawClient(restarted);
    await bob.handshake({ token: "dev:bob" });
    await bob.request("room.join_or_create", { room_type: "guarded", room: "g" });
    // Before: the kept seat was gone (taken by the refused join) but ada stayed in the logic's state for good.
    expect((await bob.expect("state.snapshot")).p.state).toEqual({ in: ["bob"] });
  });

  it("a takeover joined, left and joined again at once leaves nothing behind: the player's next join is an ordinary one", async () => {
    const server = await startRooms({ visits });
    await member(server, "dev:ada", "h");
    const second = rawClient(server);
    await second.handshake({ token: "dev:ada" });
    // A takeover whose session leaves it at once while its next join waits: it hands the player over to that join.
    const answers = [
      second.request("room.join_or_create", { room_type: "visits", room: "h" }),
      second.request("room.leave", { room: "h" }),
      second.request("room.join_or_create", { room_type: "visits", room: "h" }),
    ];
    await Promise.all(answers);
    expect((await second.request("room.leave", { room: "h" })).ok).toBe(true);
    const { state } = await member(server, "dev:ada", "h");
    // Before: the hand-over was kept for a later join (the player was a member then too): this join was taken for a
    // takeover, without onJoin, and ada was not in the room's state.
    expect(state.in).toEqual(["ada"]);
    expect(state.joins - state.leaves).toBe(1);
  });
});
