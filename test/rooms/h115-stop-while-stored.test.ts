/**
 * A server stopped while a match's room stored its held seats (the players are told only after: match-seats.ts) left
 * its matchmaker waiting on it past the stop: when seatStoreTimeoutMs was up, or the store ended (refused: the room had
 * stopped), the stopped server logged rooms.reserve_timeout or rooms.reserve_failed, held the seats in memory and
 * "told" sockets long closed; the players stayed "being matched" (in the MatchesBeingMade a later server given the
 * same mount shares) until then. The server's stop now drops what its matchmakers wait on: the timer is cleared, and
 * nothing is done or logged for that match after the stop.
 *
 * The store is held from the outside (test/helpers/held-seat-store.ts) and let go after the stop by a timer set after
 * the matchmaker's, with the same wait: the matchmaker's comes first. (The runtime's own room.request_unavailable, the held
 * store's user code running in the stopped room, is the test's doing, not the matchmaker's: only `rooms.` events count.)
 */
import { setImmediate } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import type { HeldSeatStore } from "../helpers/held-seat-store.js";
import { cleanupAll, type TestServer, waitFor } from "../helpers/server.js";
import { storeHeldGame, waiting } from "../game/held-match.js";
import { queued, storeHeldServer } from "./held-match.js";

afterEach(cleanupAll);

const TIMEOUT_MS = 200;

/** Two players matched on `held`'s server, the server stopped while their match's seats are stored, then the store let go. */
async function stoppedWhileStored(
  held: HeldSeatStore & { server: TestServer },
  enter: (server: TestServer, name: string) => Promise<unknown>,
): Promise<string[]> {
  const { server } = held;
  await enter(server, "ada");
  await enter(server, "bob");
  await waitFor(held.storing, "the match's room to store the held seats");
  await server.stop();
  setTimeout(() => held.release(), TIMEOUT_MS); // after the matchmaker's timer, had it been left
  await waitFor(held.stored, "the let-go store to end");
  await setImmediate(); // what follows its end in the matchmaker (promise callbacks) is done by now
  return server.logs.map((entry) => entry.event).filter((event) => event.startsWith("rooms."));
}

describe("a server stopped while a match's seats are stored", () => {
  it("rooms: its matchmaker logs nothing for the match after the stop", async () => {
    const held = await storeHeldServer({ seatStoreTimeoutMs: TIMEOUT_MS });
    // Before: ["rooms.reserve_timeout"], logged by the stopped server.
    expect(await stoppedWhileStored(held, queued)).toEqual([]);
  });

  it("many matches stored at once wait on the server's stop without Node's listener-leak warning", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const held = await storeHeldServer();
      let entered = 0;
      const allEntered = new Promise<void>((resolve) => held.queue.on("message", () => ++entered === 24 && resolve()));
      for (let index = 0; index < 24; index++) await queued(held.server, `p${index}`);
      await waitFor(allEntered, "the matchmaker to take every entry (each match waits on the stop from then)");
      await setImmediate(); // a warning is emitted on the next tick
      // Before the server's stop signal took any number of listeners: MaxListenersExceededWarning at the 11th match.
      expect(warnings).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("game: its matchmaker logs nothing for the match after the stop", async () => {
    const held = await storeHeldGame({ ...example, limits: { ...example.limits, seatStoreTimeoutMs: TIMEOUT_MS } });
    expect(await stoppedWhileStored(held, waiting)).toEqual([]);
  });
});
