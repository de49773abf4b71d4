/**
 * The set-up of the "matched while the socket dropped" tests (h92, h102): the example game, whose `arena` matches
 * store their held seats only once the test calls `release` (test/helpers/held-seat-store.ts), and a typed game
 * client whose reconnects wait until the test lets them through.
 */
import type { EventEmitter } from "node:events";
import example from "../../examples/game/game.js";
import { connect as connectGame, type GameClient as TypedGameClient } from "../../game-client/index.js";
import { createGame } from "../../src/game/index.js";
import { matchmakerPartyName, matchPartyName } from "../../src/game/parties.js";
import { holdSeatStore } from "../helpers/held-seat-store.js";
import { heldBackToken } from "../helpers/held-back-token.js";
import { startServer, type TestServer } from "../helpers/server.js";
import type { TrackedSockets } from "../helpers/tracked-websocket.js";

export async function storeHeldGame(): Promise<{ server: TestServer; storing: Promise<void>; release(): void; queue: EventEmitter }> {
  const game = createGame(example);
  const { parties, storing, release, queue } = holdSeatStore(game.parties, matchPartyName("arena"), matchmakerPartyName("arena"));
  const server = await startServer(parties, { storage: "memory", sockets: game.sockets, routes: game.routes });
  return { server, storing, release, queue };
}

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
