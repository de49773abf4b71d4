/**
 * A player whose socket dropped in the few milliseconds while the matchmaker's match stored its held seats (the
 * players are told only after, match-seats.ts) lost its `matchmaker.matched`: the matchmaker sent it down the link
 * the session had closed with the socket. Back with the same token, the player was never told, while its seat stayed
 * held for the reconnect window (30 s) and the match waited for it. The frame is now kept for the player and sent
 * once it has a socket again.
 *
 * The drop is made certain from the outside: the match party is the game's own, extended by the test to wait in its
 * stub request (the seats' store) until the test lets it go, and the matchmaker to say when it saw the link close.
 */
import type { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import type { GameClient as TypedGameClient } from "../../game-client/index.js";
import { dropWhileStored } from "../helpers/held-seat-store.js";
import { adaComingBackLater, storeHeldGame } from "./held-match.js";
import { cleanupAll } from "../helpers/server.js";
import { trackedClients } from "../helpers/tracked-websocket.js";
import { gameClient, players, type GameClient } from "./helpers.js";

afterEach(cleanupAll);

/** ada and bob add tickets; ada's socket closes while the match's seats are stored (her session let the queue go). */
async function adaDropsWhileStored(storing: Promise<void>, queue: EventEmitter, ada: GameClient, bob: GameClient): Promise<string> {
  const ticket = (await ada.request("matchmaker.add", { mode: "arena", properties: {} })).payload.ticket_id as string;
  await bob.request("matchmaker.add", { mode: "arena", properties: {} });
  expect(await dropWhileStored({ storing, queue }, () => ada.client.close())).toEqual(["ada"]);
  return ticket;
}

describe("matchmaker.matched for a player whose socket dropped as the match was stored", () => {
  it("reaches the player's next socket (same token) after the store, and both play the match", async () => {
    const { server, storing, release, queue } = await storeHeldGame();
    const [ada, bob] = await players(server, "ada", "bob");
    const ticket = await adaDropsWhileStored(storing, queue, ada!, bob!);
    release();
    const matched = (await bob!.expect("matchmaker.matched")).payload;
    expect(matched.players).toEqual(["ada", "bob"]);

    const back = gameClient(server);
    expect(await back.connect("ada")).toEqual({ player_id: "ada" });
    // Before: nothing came, and the seat held for ada kept bob waiting alone in the match for 30 s.
    const told = (await back.expect("matchmaker.matched", () => true, 2_000)).payload;
    expect(told).toEqual({ ...matched, ticket_id: ticket });
    for (const client of [back, bob!]) expect((await client.request("match.join", { match_id: matched.match_id })).type).toBe("match.join");
    for (const client of [back, bob!]) expect((await client.expect("match.started")).payload.players).toEqual(["ada", "bob"]);
    // Told once: a later socket of ada's is not told again (the seat is taken).
    back.client.close();
    const later = gameClient(server);
    await later.connect("ada");
    await later.request("session.heartbeat");
    expect(later.received.filter((message) => message.type === "matchmaker.matched")).toEqual([]);
  });

  it("reaches the player's socket at once when it came back before the store was done", async () => {
    const { server, storing, release, queue } = await storeHeldGame();
    const [ada, bob] = await players(server, "ada", "bob");
    const ticket = await adaDropsWhileStored(storing, queue, ada!, bob!);
    const [back] = await players(server, "ada");
    release();
    const matched = (await bob!.expect("matchmaker.matched")).payload;
    expect((await back!.expect("matchmaker.matched", () => true, 2_000)).payload).toEqual({ ...matched, ticket_id: ticket });
  });

  it("reaches a session kept for its match seat, after session.connected", async () => {
    const { server, storing, release, queue } = await storeHeldGame();
    const [ada, bob] = await players(server, "ada", "bob");
    // In a match, ada's session outlives its socket (its seat is kept): she comes back to it.
    expect((await ada!.request("match.join", { match_id: "lobby.arena" })).type).toBe("match.join");
    await adaDropsWhileStored(storing, queue, ada!, bob!);
    release();
    const matched = (await bob!.expect("matchmaker.matched")).payload;

    const back = gameClient(server);
    expect(await back.connect("ada")).toEqual({ player_id: "ada", match_id: "lobby.arena" });
    expect((await back.expect("matchmaker.matched", () => true, 2_000)).payload.match_id).toBe(matched.match_id);
    const types = back.received.map((message) => message.type);
    expect(types.indexOf("matchmaker.matched")).toBeGreaterThan(types.indexOf("session.connected"));
  });
});

describe("game-client: back after its socket dropped as its match was stored", () => {
  const { WebSocket: TrackedWebSocket, sockets, clients } = trackedClients<TypedGameClient>();

  it("emits matchmaker.matched once it has reconnected", async () => {
    const { server, storing, release, queue } = await storeHeldGame();
    const { ada, back } = await adaComingBackLater(server, TrackedWebSocket);
    clients.push(ada);
    const found = ada.next("matchmaker.matched", { timeoutMs: 5_000 });
    const [bob] = await players(server, "bob");
    const ticket = await ada.matchmaker.add("arena", {});
    await bob!.request("matchmaker.add", { mode: "arena", properties: {} });
    await dropWhileStored({ storing, queue }, () => sockets[0]!.terminate()); // the network goes
    release();
    const matched = (await bob!.expect("matchmaker.matched")).payload;
    back();
    expect(await found).toEqual({ ...matched, ticket_id: ticket });
  });
});
