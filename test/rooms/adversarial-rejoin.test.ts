/**
 * Adversarial tests of a join that waits for the close of the same player's earlier connection (d7c95e6): joins of
 * one player pipelined, or racing from two sessions, and a takeover while the first session's join still runs.
 */
import { EventEmitter, once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, storageEmptied, waitFor, type TestServer } from "../helpers/server.js";
import { visits as visitsFixture, type Visits as CountedVisits } from "./fixtures.js";
import { rawClient, startRooms, type RawClient } from "./helpers.js";

afterEach(cleanupAll);

/** What its own `visits` counts (the shared fixture's, less its creation time). */
type Visits = Omit<CountedVisits, "created">;

const hooks = new EventEmitter();
/** While set, `onJoin` (`onLeave`) waits for it (an async hook still running). */
let holdJoins: Promise<void> | undefined;
let holdLeaves: Promise<void> | undefined;

/** Counts its hooks in its state; `end` disposes it. Two seats. */
const visits = defineRoomType<Visits>({
  maxClients: 2,
  onCreate() {
    this.state = { joins: 0, leaves: 0, in: [] };
  },
  async onJoin(player) {
    this.state.joins++;
    this.state.in.push(player);
    hooks.emit("join", player);
    if (holdJoins) await holdJoins;
  },
  async onLeave(player) {
    this.state.leaves++;
    this.state.in = this.state.in.filter((name) => name !== player);
    hooks.emit("leave", player);
    if (holdLeaves) await holdLeaves;
  },
  onInput({ type }) {
    if (type === "end") this.dispose();
  },
});

afterEach(() => {
  holdJoins = undefined;
  holdLeaves = undefined;
});

async function session(server: TestServer, player: string): Promise<RawClient> {
  const client = rawClient(server);
  await client.handshake({ token: `dev:${player}` });
  return client;
}

async function member(server: TestServer, player: string, room: string): Promise<{ client: RawClient; state: Visits }> {
  const client = await session(server, player);
  const answer = await client.request("room.join_or_create", { room_type: "visits", room });
  expect(answer.ok, JSON.stringify(answer)).toBe(true);
  return { client, state: (await client.expect("state.snapshot")).p.state as Visits };
}

/** Sends leave, join, leave, join of `room` back to back (one event-loop turn); returns the last join's snapshot. */
async function leaveAndJoinTwice(client: RawClient, room: string): Promise<Visits> {
  const answers = [
    client.request("room.leave", { room }),
    client.request("room.join_or_create", { room_type: "visits", room }),
    client.request("room.leave", { room }),
    client.request("room.join_or_create", { room_type: "visits", room }),
  ];
  const [left, , leftAgain, joined] = await waitFor(Promise.all(answers), "the four answers");
  expect([left!.ok, leftAgain!.ok, joined!.ok]).toEqual([true, true, true]);
  return (await client.expect("state.snapshot")).p.state as Visits;
}

describe("rooms: joins waiting for a close, attacked", () => {
  // Before (fixed): the second join overwrites the first's wait (`previous.closed = resolve`, one callback per member), so the
  // first join (whose link the session closed meanwhile) waits forever. It stays in the room's `#joining`: it
  // counts toward maxClients for good, and its onMessage never settles (the room is never idle).
  it("leave/join/leave/join pipelined: the room is not left with a phantom joiner (maxClients 2: a second player still fits)", async () => {
    const server = await startRooms({ visits });
    const { client: ada } = await member(server, "ada", "p");
    const state = await leaveAndJoinTwice(ada, "p");
    expect(state).toMatchObject({ in: ["ada"] });
    const bob = await session(server, "bob");
    const answer = await bob.request("room.join_or_create", { room_type: "visits", room: "p" });
    // Before: {ok: false, reason: 'room "p" is full (2 clients)'}: one member, one join that never ends.
    expect(answer).toMatchObject({ ok: true });
  });

  // The same phantom joiner keeps a disposed room from ever being discarded (`#discardIfEmpty` waits for `#joining`).
  it("leave/join/leave/join pipelined in a disposed room: once the player leaves, the room's storage goes", async () => {
    const server = await startRooms({ visits }, { limits: { saveIntervalMs: 0 }, server: { storage: "leveldb" } });
    const { client: ada } = await member(server, "ada", "d");
    await leaveAndJoinTwice(ada, "d");
    ada.send("room.message", { room: "d", type: "end", data: null });
    expect((await ada.request("room.leave", { room: "d" })).ok).toBe(true);
    await storageEmptied(server, "rooms.visits/d");
  });

  // Two sessions of one player: the first leaves and joins again at once, the second joins meanwhile (takes it over).
  it("a leave/join of one session raced by a second session's join: one seat, and the room still has room for another", async () => {
    const server = await startRooms({ visits });
    const { client: first } = await member(server, "ada", "r");
    const second = await session(server, "ada");
    const left = first.request("room.leave", { room: "r" });
    const rejoined = first.request("room.join_or_create", { room_type: "visits", room: "r" });
    const taken = second.request("room.join_or_create", { room_type: "visits", room: "r" });
    await waitFor(Promise.all([left, rejoined, taken]), "the answers");
    // Whichever won, the other was replaced (4009): bob still fits (two seats, ada holds one).
    const bob = await session(server, "bob");
    const answer = await bob.request("room.join_or_create", { room_type: "visits", room: "r" });
    expect(answer).toMatchObject({ ok: true });
    const state = (await bob.expect("state.snapshot")).p.state as Visits;
    expect(state.in.sort()).toEqual(["ada", "bob"]);
  });

  // Holds up: once the old connection's onClose has begun (its onLeave still running, async), the member is gone
  // already, so the join does not wait (its onJoin runs while that onLeave still runs); the second session's join
  // then replaces the first's link, and nobody is left waiting.
  it("a leave/join waiting on a slow onLeave, raced by a second session's join: the room is not left full", async () => {
    const server = await startRooms({ visits });
    const { client: first } = await member(server, "ada", "w");
    const held = deferred();
    holdLeaves = held.promise;
    const leaving = once(hooks, "leave");
    const left = first.request("room.leave", { room: "w" });
    const rejoined = first.request("room.join_or_create", { room_type: "visits", room: "w" });
    await waitFor(leaving, "ada's onLeave to start");
    expect((await left).ok).toBe(true);
    const second = await session(server, "ada");
    const taken = second.request("room.join_or_create", { room_type: "visits", room: "w" });
    // The second session's link replaces the first's (4009): the first's join fails.
    expect((await waitFor(rejoined, "the first session's join to fail")).ok).toBe(false);
    holdLeaves = undefined;
    held.resolve();
    expect((await waitFor(taken, "the second session's join")).ok).toBe(true);
    const bob = await session(server, "bob");
    const answer = await bob.request("room.join_or_create", { room_type: "visits", room: "w" });
    expect(answer).toMatchObject({ ok: true });
  });

  // Two sessions of one player join a stored room at once while it starts (after a restart): one seat, and the
  // logic saw one join and no leave (a takeover is silent).
  it("two sessions of one player joining while the room starts: onJoin once, no onLeave", async () => {
    let server = await startRooms({ plain: visitsFixture }, { limits: { saveIntervalMs: 0 }, server: { storage: "leveldb" } });
    const bob = await session(server, "bob");
    expect((await bob.request("room.join_or_create", { room_type: "plain", room: "s" })).ok).toBe(true);
    await bob.expect("state.snapshot");
    server = await server.restart();
    const [first, second] = await Promise.all([session(server, "ada"), session(server, "ada")]);
    const answers = [first, second].map((client) => client.request("room.join_or_create", { room_type: "plain", room: "s" }));
    const settled = await waitFor(Promise.all(answers), "both answers");
    const winner = settled[0]!.ok ? first : second;
    const state = (await winner.expect("state.snapshot")).p.state as Visits;
    expect(state.in.sort()).toEqual(["ada", "bob"]); // bob's seat is kept from before the restart
    expect(state).toMatchObject({ joins: 2, leaves: 0 });
  });

  // Before (fixed): a second session takes the seat over and leaves at once (join and leave in one write). Its join is a
  // takeover (`rejoin`: the first session's member is kept, its close 4009 ignored) but its connection is closed by
  // then, so `#join` returns before making it the member (`conn.readyState !== 1`, and no onLeave for a rejoin), and
  // its close finds the old member (another connection) and returns. The old member stays for good with a closed
  // connection: no onLeave, the player seated forever (in the state, in maxClients, the room never discarded).
  it("a second session that takes the seat over and leaves at once: the player leaves (onLeave)", async () => {
    const server = await startRooms({ visits });
    await member(server, "ada", "l");
    const { client: bob } = await member(server, "bob", "l");
    const second = await session(server, "ada");
    const joined = second.request("room.join_or_create", { room_type: "visits", room: "l" });
    const left = second.request("room.leave", { room: "l" });
    await waitFor(Promise.all([joined, left]), "the second session's answers");
    expect((await left).ok).toBe(true);
    // Before: no patch ever says ada left (leaves stays 0, in stays ["ada", "bob"]).
    const patch = await bob.expect("state.patch", (p) => p.ops.some((op: { path: string }) => op.path === "/leaves"), 3_000);
    expect(patch.p.ops).toContainEqual({ op: "replace", path: "/leaves", value: 1 });
    // And the seat is free again: carol fits (two seats).
    const carol = await session(server, "carol");
    expect(await carol.request("room.join_or_create", { room_type: "visits", room: "l" })).toMatchObject({ ok: true });
  });

  // Before (fixed): a second session taking the seat over while the first session's (async) onJoin still runs is not a
  // silent takeover: the second join finds no member yet, so it runs onJoin again; then the first join, its
  // connection replaced (4009), "undoes" itself with onLeave. The player is seated (the second session's
  // connection is a member) but the logic saw join, join, leave: here it is not `in` any more.
  it("a takeover while the first session's onJoin still runs: onJoin once, no onLeave, the player in", async () => {
    const server = await startRooms({ visits });
    const held = deferred();
    holdJoins = held.promise;
    const first = await session(server, "ada");
    const firstJoin = first.request("room.join_or_create", { room_type: "visits", room: "t" });
    await waitFor(once(hooks, "join"), "the first onJoin to start");
    const second = await session(server, "ada");
    const secondJoin = second.request("room.join_or_create", { room_type: "visits", room: "t" });
    // The first session's link is replaced (4009) as soon as the second's connects: its join fails.
    expect((await waitFor(firstJoin, "the first join's answer")).ok).toBe(false);
    held.resolve();
    expect((await waitFor(secondJoin, "the second join's answer")).ok).toBe(true);
    const snapshot = (await second.expect("state.snapshot")).p.state as Visits;
    // Before: { joins: 2, leaves: 1, in: [] }.
    expect(snapshot).toEqual({ joins: 1, leaves: 0, in: ["ada"] });
  });
});
