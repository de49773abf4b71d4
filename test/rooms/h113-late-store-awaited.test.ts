/**
 * A match's room that stores its held seats only after `limits.seatStoreTimeoutMs` (its storage slow): its players
 * were told at the timeout, and may be in the room by the time the room holds the seats. It held them all again, a
 * seat "awaited" for a player already in it (the room type's `awaited`, what a room's logic waits for before it
 * starts), until the seats' time was up (resumeWindowMs). The room now holds seats only for players not in it.
 *
 * The room's store is held from the outside (test/helpers/held-seat-store.ts) until the test lets it go.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, waitFor } from "../helpers/server.js";
import { queued, storeHeldServer } from "./held-match.js";

afterEach(cleanupAll);

/** Two seats; `awaited?` answers with the players the room awaits. */
const pair = defineRoomType({
  maxClients: 2,
  onInput({ type, sender }) {
    if (type === "awaited?") this.send(sender, "awaited", [...this.awaited]);
  },
});

describe("a match's room that stores its seats after the timeout, a player in it already", () => {
  it("does not await that player", async () => {
    const { server, storing, release, stored } = await storeHeldServer({ seatStoreTimeoutMs: 100 }, pair);
    const ada = await queued(server, "ada");
    await queued(server, "bob");
    await waitFor(storing, "the match's room to start storing the held seats");
    const { room } = (await ada.expect("match.found")).p;
    expect((await ada.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true);
    const awaited = async () => {
      ada.send("room.message", { room, type: "awaited?", data: null });
      return (await ada.expect("room.message", (p) => p.type === "awaited" && !seen.has(p), 2_000)).p;
    };
    const seen = new Set<unknown>();
    const before = await awaited();
    seen.add(before);
    expect(before.data).toEqual(["bob"]);
    await server.logged("rooms.reserve_timeout");
    release();
    await waitFor(stored, "the late store to be done (its answer goes nowhere)");
    const after = await awaited();
    // Before: ["ada", "bob"] (ada, in the room, awaited until the seats' time is up).
    expect(after.data).toEqual(["bob"]);
  });
});
