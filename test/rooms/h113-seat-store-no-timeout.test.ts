/**
 * `limits.seatStoreTimeoutMs` bounds the matchmaker's wait for a match's room to store its held seats
 * (src/rooms/match-seats.ts). A wait longer than a Node timer can take (`Infinity`, "wait for the store as before", or
 * anything past 2^31-1 ms, some 24.8 days) was handed to setTimeout as it was, which fires such a timer after 1 ms:
 * every match's players were told before their seats were stored, and each match logged rooms.reserve_timeout
 * ("did not store its seats within Infinity ms"). Now such a wait is the longest a timer takes.
 *
 * The store is held from the outside (test/helpers/held-seat-store.ts) and let go by a timer set after the
 * matchmaker's (so one misfired at 1 ms comes first).
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, waitFor } from "../helpers/server.js";
import { queued, storeHeldServer } from "./held-match.js";

afterEach(cleanupAll);

describe("a seatStoreTimeoutMs longer than a timer takes", () => {
  for (const timeoutMs of [Number.POSITIVE_INFINITY, 2 ** 31]) {
    it(`rooms (${timeoutMs} ms): the players are told once the seats are stored, and no timeout is logged`, async () => {
      const { server, storing, release } = await storeHeldServer({ seatStoreTimeoutMs: timeoutMs });
      const ada = await queued(server, "ada");
      await queued(server, "bob");
      await waitFor(storing, "the match's room to start storing the held seats");
      let released = false;
      setTimeout(() => {
        released = true;
        release();
      }, 50);
      await ada.expect("match.found");
      expect(released, "match.found came after the seats were stored").toBe(true);
      expect(server.logs.filter((entry) => entry.event === "rooms.reserve_timeout")).toEqual([]);
    });
  }
});
