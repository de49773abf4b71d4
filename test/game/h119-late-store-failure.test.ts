/**
 * The game's matchmaker holds a match's seats as the rooms protocol's does (src/rooms/match-seats.ts): a store that
 * failed after `seatStoreTimeoutMs` logged `rooms.reserve_failed` after `rooms.reserve_timeout` had told the players,
 * two failures for one match. The timeout is logged once, the late failure once as coming after it (as in
 * test/rooms/h119-late-store-failure).
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import { cleanupAll, waitFor } from "../helpers/server.js";
import { storeHeldGame, waiting } from "./held-match.js";

afterEach(cleanupAll);

describe("a match's seat store that fails after the timeout", () => {
  it("logs the timeout once, and the late failure once, as coming after it", async () => {
    const { server, storing, fail, stored } = await storeHeldGame({ ...example, limits: { ...example.limits, seatStoreTimeoutMs: 100 } });
    const ada = await waiting(server, "ada");
    await waiting(server, "bob");
    await waitFor(storing, "the match to start storing the held seats");
    const { match_id: match } = (await ada.expect("matchmaker.matched")).payload;
    await server.logged("rooms.reserve_timeout");
    fail(new Error("the disk is full"));
    await waitFor(stored, "the late store to fail");
    expect(await server.logged("rooms.reserve_failed_after_timeout")).toMatchObject({ level: "warn", party: "game-match.arena", room: match, timeoutMs: 100 });
    // Before: ["rooms.reserve_timeout", "rooms.reserve_failed"].
    expect(server.logs.map((entry) => entry.event).filter((event) => event.startsWith("rooms.reserve"))).toEqual([
      "rooms.reserve_timeout",
      "rooms.reserve_failed_after_timeout",
    ]);
  });
});
