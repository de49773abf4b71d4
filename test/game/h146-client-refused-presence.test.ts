/**
 * The typed client repeats its presence after a reconnect. A `presence.update` the server refused (metadata over
 * `maxPresenceMetadataBytes`, status "offline") was repeated too: refused again, as an `error` event, at every
 * reconnect, while the presence the server had kept (the one before) was not told again. Now a refused update is not
 * the client's presence: the one before it is repeated.
 */
import { expect, it } from "vitest";
import { connect, GameErrorCode, GameRequestError, type GameClient } from "../../game-client/index.js";
import { defineMatch } from "../../src/game/index.js";
import { trackedClients } from "../helpers/tracked-websocket.js";
import { api, players, startGame } from "./helpers.js";

const { WebSocket, sockets, clients } = trackedClients<GameClient>();

it("after a reconnect the client repeats the presence the server kept, not one it refused", async () => {
  const server = await startGame({ matches: { plain: defineMatch({ tickRate: 20, init: () => ({}) }) } });
  const [ada] = await players(server, "ada");
  for (const [from, to] of [
    ["ada", "bob"],
    ["bob", "ada"],
  ] as const)
    await api(server, "/api/friends", from, { method: "POST", body: JSON.stringify({ player_id: to }) });
  const bob = await connect(server.wsUrl("/ws"), { token: "dev:bob", WebSocket, backoff: { initialMs: 20, maxMs: 100 } });
  clients.push(bob);
  await ada!.expect("presence.changed", (p) => p.status === "online");
  const errors: unknown[] = [];
  bob.on("error", (event) => void errors.push(event));

  await bob.presence.update("away", { note: "brb" });
  await ada!.expect("presence.changed", (p) => p.status === "away");
  const refused = await bob.presence.update("in_game", { note: "x".repeat(2000) }).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(GameRequestError);
  expect(refused).toMatchObject({ kind: "refused", code: GameErrorCode.BadInput });

  sockets[0]!.terminate();
  await ada!.expect("presence.changed", (p) => p.status === "offline");
  await ada!.expect("presence.changed", (p) => p.status === "online");
  expect((await ada!.expect("presence.changed")).payload).toEqual({ player_id: "bob", status: "away", metadata: { note: "brb" } });
  expect(errors).toEqual([]);
});
