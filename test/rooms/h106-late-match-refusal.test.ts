/**
 * The refusal of an enqueue that crosses a late `match.found` (h102; docs/rooms.md, Sessions) attacked from the
 * outside: it must not outlive the seat the match holds for the player, and must hold for many players back at once.
 *
 * - A player told late who never joins: refused while the seat is held, accepted once its time (`seatReservationMs`) is up.
 * - Eight matches whose sixteen players all dropped while the seats were stored, back at the same moment: each is told
 *   once, each enqueue refused, each join accepted, then each enqueue accepted, and the new queue matches them in pairs
 *   of the new entries only (no one matched twice into a room it holds a seat in).
 * - The server's code reloaded while a match's seats are stored (`yparty dev`: the matchmaker's links close 1012, each
 *   session enters the queue again by itself, in the matchmaker's next instance): the players are told of that match
 *   once, and not matched a second time by the next instance. Before, the next instance knew nothing of the match being
 *   made and matched them again: each got two match.found and held seats in two rooms.
 *
 * The timing is made certain as in h102: the match room stores its held seats only once the test lets it
 * (test/helpers/held-seat-store.ts).
 */
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { queued, storeHeldServer } from "./held-match.js";
import { pollUntil, waitFor } from "../helpers/server.js";
import { rawClient, type RawClient } from "./helpers.js";

/** Resolves after `count` events `name` of `emitter`. */
function events(emitter: NodeJS.EventEmitter, name: string, count: number): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    const listener = () => {
      if (++seen < count) return;
      emitter.off(name, listener);
      resolve();
    };
    emitter.on(name, listener);
  });
}

const enqueue = (client: RawClient) => client.request("matchmaking.enqueue", { room_type: "pair", size: 2 });

describe("the refusal of an enqueue crossing a late match.found", () => {
  it("ends when the seat's time is up, for a player who never joins", async () => {
    const windowMs = 1_500;
    const { server, storing, release, queue } = await storeHeldServer({ seatReservationMs: windowMs });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    expect((await enqueue(ada)).ok).toBe(true);
    const bob = rawClient(server);
    await bob.handshake({ token: "dev:bob" });
    // The seat's time starts when bob's enqueue makes the match: not before this (a loaded machine can deliver
    // match.found long after it, which would shorten a window measured from there).
    const beforeMatch = Date.now();
    expect((await enqueue(bob)).ok).toBe(true);
    await waitFor(storing, "the match's room to store the held seats");
    const closed = once(queue, "closed");
    await ada.client.close();
    await waitFor(closed, "the matchmaker to see ada's session let the queue go");
    release();
    const match = (await bob.expect("match.found")).p;

    const back = rawClient(server);
    await back.handshake({ token: "dev:ada" });
    expect((await back.expect("match.found")).p).toEqual(match);
    expect(await enqueue(back)).toMatchObject({ ok: false });
    // Never joins: accepted once the seat is no longer held (at most the window after the match), not before.
    await pollUntil("ada's enqueue to be accepted", async () => ((await enqueue(back)).ok === true ? true : undefined), windowMs + 3_000);
    expect(Date.now() - beforeMatch).toBeGreaterThanOrEqual(windowMs);
    const carl = rawClient(server);
    await carl.handshake({ token: "dev:carl" });
    expect((await enqueue(carl)).ok).toBe(true);
    const next = (await back.expect("match.found")).p;
    expect(next.participants).toEqual(["ada", "carl"]);
    expect(next.room).not.toBe(match.room);
  });

  it("sixteen players dropped as eight matches were stored, back at once: one match.found each, refused until joined", async () => {
    const { server, release, queue } = await storeHeldServer();
    const names = Array.from({ length: 16 }, (_, index) => `p${index}`);
    const entered = events(queue, "message", names.length);
    const first: RawClient[] = [];
    for (const name of names) first.push(await queued(server, name));
    await waitFor(entered, "the matchmaker to take every entry (a match per pair, its seats being stored)");
    const letGo = events(queue, "closed", names.length);
    await Promise.all(first.map((client) => client.client.close()));
    await waitFor(letGo, "every session to let the queue go");
    release();

    const back = names.map(() => rawClient(server));
    await Promise.all(back.map((client, index) => client.handshake({ token: `dev:${names[index]}` })));
    const found = await Promise.all(back.map((client) => client.expect("match.found")));
    const rooms = new Map<string, string[]>();
    for (const [index, { p }] of found.entries()) {
      expect(p.participants).toContain(names[index]);
      rooms.set(p.room, p.participants);
    }
    expect(rooms.size).toBe(8);
    const refused = await Promise.all(back.map(enqueue));
    for (const [index, answer] of refused.entries()) expect(answer, names[index]).toMatchObject({ ok: false });
    const joined = await Promise.all(back.map((client, index) => client.request("room.join_or_create", { room_type: "pair", room: found[index]!.p.room })));
    for (const answer of joined) expect(answer.ok).not.toBe(false);
    const accepted = await Promise.all(back.map(enqueue));
    for (const answer of accepted) expect(answer.ok).toBe(true);
    const again = await Promise.all(back.map((client) => client.expect("match.found")));
    for (const [index, { p }] of again.entries()) {
      expect(p.participants).toContain(names[index]);
      expect(rooms.has(p.room)).toBe(false);
    }
    // Each told once of each match: two match.found in all.
    for (const client of back) expect(client.received.filter((envelope) => envelope.t === "match.found")).toHaveLength(2);
  });

  it("a reload while a match's seats are stored: its players are told once, not matched again by the next instance", async () => {
    const { server, storing, release, queue, parties } = await storeHeldServer();
    const [ada, bob] = [rawClient(server), rawClient(server)];
    await ada.handshake({ token: "dev:ada" });
    expect((await enqueue(ada)).ok).toBe(true);
    await bob.handshake({ token: "dev:bob" });
    expect((await enqueue(bob)).ok).toBe(true);
    await waitFor(storing, "the match's room to store the held seats");
    const enteredAgain = events(queue, "message", 2);
    const reloaded = server.server.reload(parties);
    await waitFor(enteredAgain, "both sessions to enter the next instance's queue by themselves");
    release();
    await reloaded;
    const match = (await ada.expect("match.found")).p;
    expect((await bob.expect("match.found")).p).toEqual(match);
    // The queue they entered again is the match's: let go, and carl and dave are matched with each other.
    const [carl, dave] = [rawClient(server), rawClient(server)];
    await carl.handshake({ token: "dev:carl" });
    expect((await enqueue(carl)).ok).toBe(true);
    await dave.handshake({ token: "dev:dave" });
    expect((await enqueue(dave)).ok).toBe(true);
    expect((await carl.expect("match.found")).p.participants).toEqual(["carl", "dave"]);
    // Before: a second match of ada and bob, in another room.
    for (const client of [ada, bob]) {
      // The queue it entered again was let go (and a round trip: every frame before the answer is in).
      expect((await client.request("matchmaking.dequeue", { room_type: "pair" })).dequeued).toBe(0);
      expect(client.received.filter((envelope) => envelope.t === "match.found").map((envelope) => envelope.p)).toEqual([match]);
    }
  });
});
