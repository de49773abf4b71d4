/**
 * A match whose room never stores its held seats (a stalled disk or database: here the room's store is held for good,
 * before the room gets to hold anything) is told after `limits.seatStoreTimeoutMs` (h111), "the seats held in memory".
 * A player whose socket dropped while it waited was told nothing: its notice is kept only while the directory holds
 * its seat (match-notices.ts), and nothing held it, since only the room does, and the room never got to. Back with the
 * same token, the player got no match.found, while the queue it had entered again was let go (the match is its): no
 * match and no queue. The matchmaker now holds the seats in memory (the directory) as it makes the match, before the
 * room stores them, so the notice is kept and sent.
 */
import { afterEach, describe, expect, it } from "vitest";
import { dropWhileStored } from "../helpers/held-seat-store.js";
import { cleanupAll } from "../helpers/server.js";
import { queued, storeHeldServer } from "./held-match.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

describe("a player whose socket dropped while its match's store hung", () => {
  it("rooms: is told match.found when back, after the timeout", async () => {
    const held = await storeHeldServer({ seatStoreTimeoutMs: 200 });
    const { server } = held;
    const ada = await queued(server, "ada");
    const bob = await queued(server, "bob");
    await dropWhileStored(held, () => ada.client.close());
    const found = (await bob.expect("match.found")).p;
    expect(found.participants).toEqual(["ada", "bob"]);
    await server.logged("rooms.reserve_timeout");

    const back = rawClient(server);
    await back.handshake({ token: "dev:ada" });
    // Before: nothing came.
    expect((await back.expect("match.found", () => true, 2_000)).p).toEqual(found);
    // Told late, while the seat is held for her: entering the queue again is refused (the match is hers).
    expect((await back.request("matchmaking.enqueue", { room_type: "pair", size: 2 })).ok).toBe(false);
  });
});
