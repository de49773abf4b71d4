/**
 * The typed client's `error` event for a restore that failed after a reconnect (a channel the server now refuses)
 * carries the server's `code`, as a request's `GameRequestError` does. Before, the event held only a `reason`, though
 * its type promised a `code` (`GameError`): an app branching on `event.code` got undefined. The event's type now
 * says `code` may be absent (the client's own errors, a server older than error codes).
 */
import { expect, it } from "vitest";
import { connect, GameErrorCode, type GameClient, type GameErrorEvent } from "../../game-client/index.js";
import { defineMatch } from "../../src/game/index.js";
import { trackedClients } from "../helpers/tracked-websocket.js";
import { startGame } from "./helpers.js";

const { WebSocket, sockets, clients } = trackedClients<GameClient>();

it("a channel refused on the rejoin after a reconnect: the error event has the refusal's code", async () => {
  const allowed = new Set(["ada"]);
  const server = await startGame({ matches: { plain: defineMatch({ tickRate: 20, init: () => ({}) }) }, canJoinChannel: (player) => allowed.has(player) });
  const ada = await connect(server.wsUrl("/ws"), { token: "dev:ada", WebSocket, backoff: { initialMs: 20, maxMs: 100 } });
  clients.push(ada);
  await ada.chat.join("lobby");

  allowed.delete("ada");
  const refused = ada.next("error");
  sockets[0]!.terminate();
  const event: GameErrorEvent = await refused;
  expect(event).toEqual({ code: GameErrorCode.BadInput, reason: 'could not join channel lobby again: not allowed in channel "lobby"' });
});
