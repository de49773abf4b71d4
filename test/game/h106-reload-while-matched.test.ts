/**
 * The server's code reloaded (`yparty dev`) while a match's seats are stored: the matchmaker's links close (1012), each
 * session adds its tickets again by itself in the matchmaker's next instance, and that instance knew nothing of the
 * match being made: it matched the players a second time (two matchmaker.matched each, seats in two matches). Now the
 * players being matched are the mode's matchmaker's across its instances (src/rooms/matches-being-made.ts): the next
 * instance leaves them be, and the tickets added again are the match's once they are told.
 *
 * The timing is made certain as in h102: the match stores its held seats only once the test lets it
 * (test/helpers/held-seat-store.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import { addTicket, matcheds, storeHeldGame, waiting } from "./held-match.js";
import { cleanupAll, pollUntil, waitFor } from "../helpers/server.js";
import { players } from "./helpers.js";

afterEach(cleanupAll);

describe("a reload while a match's seats are stored", () => {
  it("its players are told once, and not matched again by the matchmaker's next instance", async () => {
    const { server, parties, storing, release, queue } = await storeHeldGame();
    const ada = await waiting(server, "ada");
    const bob = await waiting(server, "bob");
    await waitFor(storing, "the match to store the held seats");
    let added = 0;
    const addedAgain = new Promise<void>((resolve) => queue.on("message", () => ++added === 2 && resolve()));
    const reloaded = server.server.reload(parties);
    await waitFor(addedAgain, "both sessions to add their tickets again in the next instance");
    release();
    await reloaded;
    const matched = (await ada.expect("matchmaker.matched")).payload;
    expect((await bob.expect("matchmaker.matched")).payload.match_id).toBe(matched.match_id);
    const carl = await waiting(server, "carl");
    const dave = await waiting(server, "dave");
    // Before: ada's and bob's tickets added again were matched together (a second matchmaker.matched each).
    expect((await carl.expect("matchmaker.matched")).payload.players).toEqual(["carl", "dave"]);
    await dave.expect("matchmaker.matched");
    for (const client of [ada, bob]) {
      expect((await client.request("match.join", { match_id: matched.match_id })).type).toBe("match.join"); // a round trip
      expect(matcheds(client)).toHaveLength(1);
    }
  });
});

describe("the refusal of a ticket crossing a late matchmaker.matched", () => {
  it("ends when the seat's time is up, for a player who never joins the match", async () => {
    const windowMs = 1_500;
    const { server, storing, release, queue } = await storeHeldGame({ ...example, limits: { ...example.limits, seatReservationMs: windowMs } });
    const ada = await waiting(server, "ada");
    // The seat's time starts when bob's ticket makes the match: not before this (a loaded machine can deliver
    // matchmaker.matched long after it, which would shorten a window measured from there).
    const beforeMatch = Date.now();
    const bob = await waiting(server, "bob");
    await waitFor(storing, "the match to store the held seats");
    let closes = 0;
    const closed = new Promise<void>((resolve) => queue.on("closed", () => ++closes === 1 && resolve()));
    await ada.client.close();
    await waitFor(closed, "the matchmaker to see ada's link close");
    release();
    const matched = (await bob.expect("matchmaker.matched")).payload;
    const [back] = await players(server, "ada");
    expect((await back!.expect("matchmaker.matched")).payload.match_id).toBe(matched.match_id);
    expect((await addTicket(back!)).type).toBe("error");
    await pollUntil("ada's ticket to be accepted", async () => ((await addTicket(back!)).type === "matchmaker.add" ? true : undefined), windowMs + 3_000);
    expect(Date.now() - beforeMatch).toBeGreaterThanOrEqual(windowMs);
    await waiting(server, "carl");
    expect((await back!.expect("matchmaker.matched", (payload) => payload.match_id !== matched.match_id)).payload.players).toEqual(["ada", "carl"]);
  });
});
