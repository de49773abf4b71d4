/**
 * A match's room whose seat store fails after `limits.seatStoreTimeoutMs`: the players were told at the timeout, and
 * `rooms.reserve_timeout` logged it; the failure that came later logged `rooms.reserve_failed` too, as if a second
 * match had failed (an alert counting failures counted two). The timeout is the match's one outcome, logged once; the
 * late failure is logged once as what it is, `rooms.reserve_failed_after_timeout` (a warning, with the error).
 *
 * The room's store is held from the outside (test/helpers/held-seat-store.ts) until the test lets it fail.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, waitFor } from "../helpers/server.js";
import { queued, storeHeldServer } from "./held-match.js";

afterEach(cleanupAll);

describe("a match's seat store that fails after the timeout", () => {
  it("logs the timeout once, and the late failure once, as coming after it", async () => {
    const { server, storing, fail, stored } = await storeHeldServer({ seatStoreTimeoutMs: 100 });
    const ada = await queued(server, "ada");
    await queued(server, "bob");
    await waitFor(storing, "the match's room to start storing the held seats");
    const { room } = (await ada.expect("match.found")).p;
    await server.logged("rooms.reserve_timeout");
    fail(new Error("the disk is full"));
    await waitFor(stored, "the late store to fail");
    const late = await server.logged("rooms.reserve_failed_after_timeout");
    expect(late).toMatchObject({
      level: "warn",
      party: "rooms.pair",
      room,
      timeoutMs: 100,
      error: expect.objectContaining({ message: expect.stringMatching(/answered 500/) }),
    });
    expect(String(late.message)).toMatch(/after the 100 ms wait/);
    const events = server.logs.map((entry) => entry.event).filter((event) => event.startsWith("rooms.reserve"));
    // Before: ["rooms.reserve_timeout", "rooms.reserve_failed"].
    expect(events).toEqual(["rooms.reserve_timeout", "rooms.reserve_failed_after_timeout"]);
  });
});
