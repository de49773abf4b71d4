/**
 * A match whose room never stores its held seats (its storage write never settles): the matchmaker tells the players
 * only once the seats are stored (match-seats.ts), and until then they are "being matched" (matches-being-made.ts),
 * matched by no one. Before, they waited for good: no match.found, and no later match either, until a reload. Now the
 * wait is bounded by `limits.seatStoreTimeoutMs`: past it the players are told anyway (as when the store fails), it
 * is logged with what to do, and they are matched again later like anyone.
 *
 * The store is held from the outside (test/helpers/held-seat-store.ts) and never let go during the test.
 */
import { afterEach, describe, expect, it } from "vitest";
import { queued, storeHeldServer } from "./held-match.js";
import { cleanupAll, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("a match whose seats' store never settles", () => {
  it("is told after seatStoreTimeoutMs, logged, and its players are matched again later", async () => {
    const { server, storing } = await storeHeldServer({ seatStoreTimeoutMs: 200 });
    const ada = await queued(server, "ada");
    const bob = await queued(server, "bob");
    await waitFor(storing, "the match's room to start storing the held seats");
    // Before: nothing came (the wait ran out).
    const match = (await ada.expect("match.found")).p;
    expect(match.participants).toEqual(["ada", "bob"]);
    expect((await bob.expect("match.found")).p).toEqual(match);
    const logged = await server.logged("rooms.reserve_timeout");
    expect(logged).toMatchObject({ level: "error", code: "ERR_INTERNAL", party: "rooms.pair", room: match.room, timeoutMs: 200 });
    expect(String(logged.message)).toMatch(/seatStoreTimeoutMs/);

    // No longer being matched: ada's next entry is matched with carl's (that store hangs too, and is told the same way).
    expect((await ada.request("matchmaking.enqueue", { room_type: "pair", size: 2 })).ok).toBe(true);
    const carl = await queued(server, "carl");
    const next = (await carl.expect("match.found")).p;
    expect(next.participants).toEqual(["ada", "carl"]);
    expect((await ada.expect("match.found", (p) => p.room === next.room)).p).toEqual(next);
  });
});
