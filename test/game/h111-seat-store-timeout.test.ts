/**
 * A match whose seats' store never settles (its storage write hangs): the mode's matchmaker tells the players only
 * once the match has stored their seats (src/rooms/match-seats.ts), and until then they are matched by no one. Before,
 * they waited for good: no matchmaker.matched, and a ticket added again was never matched either, until a reload. Now
 * the wait is bounded by `limits.seatStoreTimeoutMs`: past it the players are told anyway (as when the store fails),
 * it is logged with what to do, and their next tickets are matched like anyone's.
 *
 * The store is held from the outside (test/helpers/held-seat-store.ts) and never let go during the test.
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import { addTicket, storeHeldGame, waiting } from "./held-match.js";
import { cleanupAll, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("a match whose seats' store never settles", () => {
  it("is told after seatStoreTimeoutMs, logged, and its players are matched again later", async () => {
    const { server, storing } = await storeHeldGame({ ...example, limits: { ...example.limits, seatStoreTimeoutMs: 200 } });
    const ada = await waiting(server, "ada");
    const bob = await waiting(server, "bob");
    await waitFor(storing, "the match to start storing the held seats");
    // Before: nothing came (the wait ran out).
    const matched = (await ada.expect("matchmaker.matched")).payload;
    expect(matched.players).toEqual(["ada", "bob"]);
    expect((await bob.expect("matchmaker.matched")).payload.match_id).toBe(matched.match_id);
    const logged = await server.logged("rooms.reserve_timeout");
    expect(logged).toMatchObject({ level: "error", code: "ERR_INTERNAL", party: "game-match.arena", room: matched.match_id, timeoutMs: 200 });
    expect(String(logged.message)).toMatch(/seatStoreTimeoutMs/);

    // No longer being matched: ada's next ticket is matched with carl's (that store hangs too, and is told the same way).
    expect((await addTicket(ada)).type).toBe("matchmaker.add");
    const carl = await waiting(server, "carl");
    const next = (await carl.expect("matchmaker.matched")).payload;
    expect(next.players).toEqual(["ada", "carl"]);
    expect((await ada.expect("matchmaker.matched", (payload) => payload.match_id === next.match_id)).payload.players).toEqual(["ada", "carl"]);
  });
});
