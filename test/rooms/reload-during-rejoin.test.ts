/**
 * Helper 47: two reloads (`yparty dev`, 1012) close together. After the first, each seated session joins back by
 * itself and takes its kept seat (`#keptSeats.take`, src/rooms/room-party.ts `#joinInTurn`) before its `onJoin` runs;
 * if the second reload stops the room while that `onJoin` still runs, the player is neither a member nor a kept seat
 * of the stopped room, so `onStop`'s `#save` stores it in the state but not in `seated` (members ∪ kept seats). The
 * join then ends in the stopped instance (its `onLeave` there changes nothing stored), the session is told its join
 * back failed, and the room that comes back holds the player in its logic for good: no seat to expire, no `onLeave`,
 * ever. The second test is the same root (a join running at the stop is neither seated nor undone in what is
 * stored): a first join whose `onJoin` wrote the player into the state before awaiting, flushed and stored by another
 * hook's patch meanwhile (the flush diffs the whole state), cut by the reload — the player is stored with no seat.
 */
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";
import { rawClient, type RawClient } from "./helpers.js";
import type { TestServer } from "../helpers/server.js";

afterEach(cleanupAll);

const hooks = new EventEmitter();
let hold: Promise<void> | undefined;

const seats = defineRoomType<{ in: string[]; inputs: number }>({
  onCreate() {
    this.state = { in: [], inputs: 0 };
  },
  async onJoin(player, options) {
    hooks.emit("joining", player);
    // `early`: the player is written in first, then the hook waits (a lookup, a storage read).
    if (options.early === true && !this.state.in.includes(player)) this.state.in.push(player);
    if (hold && player === "ada") await hold;
    if (!this.state.in.includes(player)) this.state.in.push(player);
  },
  onLeave(player) {
    this.state.in = this.state.in.filter((name) => name !== player);
    hooks.emit("leave", player);
  },
  onInput() {
    this.state.inputs++;
  },
});

async function session(server: TestServer, player: string): Promise<RawClient> {
  const client = rawClient(server);
  await client.handshake({ token: `dev:${player}` });
  return client;
}

describe("rooms: a reload while a session joins back after the one before", () => {
  it("the player whose join back was cut leaves the logic (its seat expires), instead of staying in it for good", async () => {
    const rooms = createRooms({ types: { seats }, limits: { resumeWindowMs: 200, saveIntervalMs: 0 } });
    const server = await startServer(rooms.parties, { storage: "memory", sockets: rooms.sockets });
    const ada = await session(server, "ada");
    expect((await ada.request("room.join_or_create", { room_type: "seats", room: "s" })).ok).toBe(true);
    await ada.expect("state.snapshot");
    const carol = await session(server, "carol");
    expect((await carol.request("room.join_or_create", { room_type: "seats", room: "s" })).ok).toBe(true);
    await carol.expect("state.snapshot");
    const release = deferred();
    hold = release.promise;
    const adaBack = new Promise<void>((resolve) => hooks.on("joining", (player) => player === "ada" && resolve()));
    await waitFor(server.server.reload(rooms.parties), "the first reload");
    await waitFor(adaBack, "ada's join back (onJoin)");
    // carol (back by herself too) changes the state meanwhile: it is stored at the next stop.
    const snapshot = await carol.expect("state.snapshot", (p) => (p.state as { in: string[] }).in.includes("carol"));
    carol.send("room.message", { room: "s", type: "x", data: null });
    await carol.expect("state.patch", (p) => p.seq > snapshot.p.seq);
    await waitFor(server.server.reload(rooms.parties), "the second reload, while ada's onJoin runs");
    hold = undefined;
    release.resolve();
    // ada's session joins back once more (h123: it was told its join back failed, and put out of the room): her seat,
    // kept at the stop, is hers again; a member, her leave takes her out of the logic.
    expect(((await ada.expect("state.snapshot")).p.state as { in: string[] }).in).toContain("ada");
    const bob = await session(server, "bob");
    expect((await bob.request("room.join_or_create", { room_type: "seats", room: "s" })).ok).toBe(true);
    const state = (await bob.expect("state.snapshot")).p.state as { in: string[] };
    expect(state.in.sort()).toEqual(["ada", "bob", "carol"]);
    expect((await ada.request("room.leave", { room: "s" })).ok).toBe(true);
    await bob.expect("state.patch", (p) => p.ops.some((op: { path: string }) => op.path.startsWith("/in")), 2000);
    expect(ada.received.filter((envelope) => envelope.t === "error")).toEqual([]);
  });

  it("a first join cut by a reload after its onJoin changed the state does not leave the player in the logic for good", async () => {
    const rooms = createRooms({ types: { seats }, limits: { resumeWindowMs: 200, saveIntervalMs: 0 } });
    const server = await startServer(rooms.parties, { storage: "memory", sockets: rooms.sockets });
    const carol = await session(server, "carol");
    expect((await carol.request("room.join_or_create", { room_type: "seats", room: "f" })).ok).toBe(true);
    const first = await carol.expect("state.snapshot");
    const release = deferred();
    hold = release.promise;
    const ada = await session(server, "ada");
    const adaJoining = new Promise<void>((resolve) => hooks.on("joining", (player) => player === "ada" && resolve()));
    const adaAnswer = ada.request("room.join_or_create", { room_type: "seats", room: "f", options: { early: true } });
    await waitFor(adaJoining, "ada's onJoin");
    // carol's input settles a hook: the flush sends (and stores) the whole state, ada's half-done join in it.
    carol.send("room.message", { room: "f", type: "x", data: null });
    await carol.expect("state.patch", (p) => p.seq > first.p.seq);
    await waitFor(server.server.reload(rooms.parties), "the reload, while ada's onJoin runs");
    hold = undefined;
    release.resolve();
    // Her join goes on in the room's next instance (h132: it was answered ok: false, the client had to retry); she takes
    // the seat kept for her at the stop, and her leave takes her out of the logic.
    expect((await waitFor(adaAnswer, "ada's answer")).ok).toBe(true);
    const bob = await session(server, "bob");
    expect((await bob.request("room.join_or_create", { room_type: "seats", room: "f" })).ok).toBe(true);
    const state = (await bob.expect("state.snapshot")).p.state as { in: string[] };
    expect(state.in.sort()).toEqual(["ada", "bob", "carol"]);
    expect((await ada.request("room.leave", { room: "f" })).ok).toBe(true);
    // Before h47: ada was in the stored state with no seat: nothing ever removed her.
    await bob.expect("state.patch", (p) => p.ops.some((op: { path: string }) => op.path.startsWith("/in")), 2000);
  });
});
