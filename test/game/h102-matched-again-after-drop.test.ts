/**
 * A player whose socket dropped while its match's seats were being stored gets its `matchmaker.matched` late (kept for
 * it, h92). Tickets die with the socket (as on Nakama, which removes a session's tickets when it closes), so an app
 * adds one again as it reconnects, not knowing of the match: that ticket waited on, and the matchmaker matched it with
 * whoever waited, the player holding seats in two matches. A Nakama user, whose matched ticket is consumed, gets one
 * match. Now a player is not matched while its match is being made, a ticket it added meanwhile is the match's (gone
 * when it is told), and a ticket added in the mode whose match it was told late is refused while that seat is held.
 *
 * The timing is made certain as in h92: the game's own match party, extended by the test to store a match's seats only
 * once the test lets it (test/helpers/held-seat-store.ts).
 */
import type { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { GameRequestError, type GameClient as TypedGameClient } from "../../game-client/index.js";
import { dropWhileStored } from "../helpers/held-seat-store.js";
import { adaComingBackLater, addTicket, matcheds, storeHeldGame, waiting } from "./held-match.js";
import { cleanupAll, waitFor, type TestServer } from "../helpers/server.js";
import { trackedClients } from "../helpers/tracked-websocket.js";
import { players, type GameClient } from "./helpers.js";

afterEach(cleanupAll);

/** ada and bob add tickets; ada's socket closes while their match's seats are stored. */
async function adaDropsWhileStored(server: TestServer, storing: Promise<void>, queue: EventEmitter): Promise<GameClient> {
  const ada = await waiting(server, "ada");
  const bob = await waiting(server, "bob");
  await dropWhileStored({ storing, queue }, () => ada.client.close());
  return bob;
}

describe("a player whose matchmaker.matched came late is not matched a second time", () => {
  it("a ticket added as it reconnects, after the store, is refused while the late match's seat is held", async () => {
    const { server, storing, release, queue } = await storeHeldGame();
    const bob = await adaDropsWhileStored(server, storing, queue);
    release();
    const matched = (await bob.expect("matchmaker.matched")).payload;
    const carl = await waiting(server, "carl");

    const [back] = await players(server, "ada");
    const again = await addTicket(back!); // as a Nakama app does on reconnecting
    expect((await back!.expect("matchmaker.matched")).payload.match_id).toBe(matched.match_id);
    // Before: the ticket was taken and matched with carl's (a second matchmaker.matched, a second seat).
    expect(again.type).toBe("error");
    expect(again.payload.reason).toContain(`match "${matched.match_id}"`);
    const dave = await waiting(server, "dave");
    expect((await carl.expect("matchmaker.matched")).payload.players).toEqual(["carl", "dave"]);
    await dave.expect("matchmaker.matched");
    // Joined, the player may look for another match.
    expect((await back!.request("match.join", { match_id: matched.match_id })).type).toBe("match.join");
    expect((await addTicket(back!)).type).toBe("matchmaker.add");
    expect(matcheds(back!)).toHaveLength(1);
  });

  it("a ticket added before the store was done waits unmatched and is the match's when the player is told", async () => {
    const { server, storing, release, queue } = await storeHeldGame();
    const bob = await adaDropsWhileStored(server, storing, queue);
    const back = await waiting(server, "ada");
    const ticket = (back.received.find((message) => message.type === "matchmaker.add")?.payload.ticket_id ?? "") as string;
    const carl = await waiting(server, "carl");
    release();
    const matched = (await bob.expect("matchmaker.matched")).payload;
    expect((await back.expect("matchmaker.matched")).payload.match_id).toBe(matched.match_id);
    // The ticket added meanwhile is gone with the match (as the matched ticket is on Nakama).
    expect((await back.request("matchmaker.remove", { ticket_id: ticket })).type).toBe("error");
    const dave = await waiting(server, "dave");
    // Before: carl's ticket was matched with ada's second one, and ada got two matchmaker.matched.
    expect((await carl.expect("matchmaker.matched")).payload.players).toEqual(["carl", "dave"]);
    await dave.expect("matchmaker.matched");
    expect(matcheds(back)).toHaveLength(1);
  });
});

describe("game-client: an app that adds its ticket again as it reconnects (as on Nakama)", () => {
  const { WebSocket: TrackedWebSocket, sockets, clients } = trackedClients<TypedGameClient>();

  it("gets the late matchmaker.matched once, and its add refused", async () => {
    const { server, storing, release, queue } = await storeHeldGame();
    const { ada, back, connects } = await adaComingBackLater(server, TrackedWebSocket);
    clients.push(ada);
    const matched: unknown[] = [];
    ada.on("matchmaker.matched", (payload) => void matched.push(payload));
    // The app's own reconnect handling: its ticket died with the socket, so it adds one.
    const added = new Promise<unknown>((resolve) =>
      ada.on("status", ({ status }) => {
        if (status === "open" && connects() > 1) resolve(ada.matchmaker.add("arena", {}).catch((error: unknown) => error));
      }),
    );
    const ticket = await ada.matchmaker.add("arena", {});
    const bob = await waiting(server, "bob");
    await dropWhileStored({ storing, queue }, () => sockets[0]!.terminate());
    release();
    const first = (await bob.expect("matchmaker.matched")).payload;
    const carl = await waiting(server, "carl");
    back();
    const refusal = await waitFor(added, "the app's add as it reconnected to be answered");
    // Before: the add was taken and matched with carl's ticket (a second matchmaker.matched event).
    expect(refusal).toBeInstanceOf(GameRequestError);
    expect((refusal as GameRequestError).kind).toBe("refused");
    expect(matched).toEqual([{ ...first, ticket_id: ticket }]);
    const dave = await waiting(server, "dave");
    expect((await carl.expect("matchmaker.matched")).payload.players).toEqual(["carl", "dave"]);
    await dave.expect("matchmaker.matched");
    expect(matched).toHaveLength(1);
  });
});
