/**
 * The game's side of test/rooms/h113-timeout-notice: a match whose seats' store hangs before the match room gets to
 * hold anything (its storage stalled) is told after `limits.seatStoreTimeoutMs`; a player whose socket dropped while it
 * waited got no matchmaker.matched when back (its notice is kept only while a seat is held for it, and none was),
 * though the ticket it added again was let go (the match is its). The matchmaker now holds the seats in memory then.
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import { dropWhileStored } from "../helpers/held-seat-store.js";
import { cleanupAll } from "../helpers/server.js";
import { addTicket, storeHeldGame } from "./held-match.js";
import { gameClient, players } from "./helpers.js";

afterEach(cleanupAll);

describe("a player whose socket dropped while its match's store hung", () => {
  it("game: is told matchmaker.matched when back, after the timeout", async () => {
    const held = await storeHeldGame({ ...example, limits: { ...example.limits, seatStoreTimeoutMs: 200 } });
    const { server } = held;
    const [ada, bob] = await players(server, "ada", "bob");
    const ticket = (await addTicket(ada!)).payload.ticket_id as string;
    await addTicket(bob!);
    expect(await dropWhileStored(held, () => ada!.client.close())).toEqual(["ada"]);
    const matched = (await bob!.expect("matchmaker.matched")).payload;
    expect(matched.players).toEqual(["ada", "bob"]);
    await server.logged("rooms.reserve_timeout");

    const back = gameClient(server);
    expect(await back.connect("ada")).toEqual({ player_id: "ada" });
    // Before: nothing came.
    expect((await back.expect("matchmaker.matched", () => true, 2_000)).payload).toEqual({ ...matched, ticket_id: ticket });
  });
});
