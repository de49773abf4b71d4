/**
 * The set-up of the "matched while the socket dropped" tests (h92, h102): the example game, whose `arena` matches
 * store their held seats only once the test calls `release` (test/helpers/held-seat-store.ts), and a typed game
 * client whose reconnects wait until the test lets them through.
 */
import { expect } from "vitest";
import example from "../../examples/game/game.js";
import { connect as connectGame, type GameClient as TypedGameClient } from "../../game-client/index.js";
import { createGame } from "../../src/game/index.js";
import { matchmakerPartyName, matchPartyName } from "../../src/game/parties.js";
import { type HeldSeatStore, holdSeatStore } from "../helpers/held-seat-store.js";
import { heldBackToken } from "../helpers/held-back-token.js";
import { startServer, type TestServer } from "../helpers/server.js";
import type { TrackedSockets } from "../helpers/tracked-websocket.js";
import { type GameClient, players } from "./helpers.js";

/** The game `definition` (the example game by default), served with its `arena` matches' seat stores held. */
export async function storeHeldGame(definition: typeof example = example): Promise<HeldSeatStore & { server: TestServer }> {
  const game = createGame(definition);
  const held = holdSeatStore(game.parties, matchPartyName("arena"), matchmakerPartyName("arena"));
  const server = await startServer(held.parties, { storage: "memory", sockets: game.sockets, routes: game.routes });
  return { ...held, server };
}

/** `client` adds a ticket to the arena's queue (the answer: `matchmaker.add` or `error`). */
export const addTicket = (client: GameClient) => client.request("matchmaker.add", { mode: "arena", properties: {} });

/** `name`'s session, with its ticket in the arena's queue. */
export async function waiting(server: TestServer, name: string): Promise<GameClient> {
  const [client] = await players(server, name);
  expect((await addTicket(client!)).type).toBe("matchmaker.add");
  return client!;
}

/** The `matchmaker.matched` frames `client` got. */
export const matcheds = (client: GameClient) => client.received.filter((message) => message.type === "matchmaker.matched");

/**
 * ada's game client, on `WebSocket` (a tracked one, whose sockets the test can terminate): it connects at once, and
 * every reconnect waits for `back()`. `connects()` counts its attempts.
 */
export async function adaComingBackLater(
  server: TestServer,
  WebSocket: TrackedSockets["WebSocket"],
): Promise<{ ada: TypedGameClient; back(): void; connects(): number }> {
  const { token, back, attempts } = heldBackToken("ada");
  const ada = await connectGame(server.wsUrl("/ws"), { token, WebSocket, backoff: { initialMs: 10, maxMs: 20 } });
  return { ada, back, connects: attempts };
}
