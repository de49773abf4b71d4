/**
 * Seed 002's `presence.update {status, metadata}` (e.g. `{"status": "in_game", "metadata": {"match_id": "…"}}`): the
 * metadata is part of the player's presence, told to friends in `presence.changed` and listed by GET /api/friends, so
 * a friend can follow the player into its match. Before, the server answered the update and dropped the metadata.
 */
import { afterEach, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch } from "../../src/game/index.js";
import WebSocket from "ws";
import { connect } from "../../game-client/index.js";
import { api, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const plain = defineMatch({ tickRate: 20, init: () => ({}) });

it("presence.update's metadata reaches friends with the status, is listed, and goes with the next status or offline", async () => {
  const server = await startGame({ matches: { plain } });
  const [ada, bob] = await players(server, "ada", "bob");
  for (const [from, to] of [
    ["ada", "bob"],
    ["bob", "ada"],
  ] as const)
    await api(server, "/api/friends", from, { method: "POST", body: JSON.stringify({ player_id: to }) });

  const metadata = { match_id: "k3J9x2Qa.arena" };
  expect((await bob.request("presence.update", { status: "in_game", metadata })).payload).toEqual({ status: "in_game" });
  expect((await ada.expect("presence.changed", (p) => p.status === "in_game")).payload).toEqual({ player_id: "bob", status: "in_game", metadata });
  expect(await (await api(server, "/api/friends", "ada")).json()).toEqual({ friends: [{ player_id: "bob", state: "friend", status: "in_game", metadata }] });

  // A status without metadata has none: the match's id is not told after the player left it.
  await bob.request("presence.update", { status: "away" });
  expect((await ada.expect("presence.changed", (p) => p.status === "away")).payload).toEqual({ player_id: "bob", status: "away" });

  // Metadata that is not an object is refused, and the presence stays.
  const refused = await bob.request("presence.update", { status: "in_game", metadata: "k3J9x2Qa.arena" });
  expect(refused).toMatchObject({ type: "error", payload: { reason: expect.stringContaining("payload.metadata") } });
  expect(await (await api(server, "/api/friends", "ada")).json()).toEqual({ friends: [{ player_id: "bob", state: "friend", status: "away" }] });

  await bob.client.close();
  expect((await ada.expect("presence.changed", (p) => p.status === "offline")).payload).toEqual({ player_id: "bob", status: "offline" });
});

it("the typed client's presence.update without metadata tells friends none (not an empty object)", async () => {
  const server = await startGame({ matches: { plain } });
  const [ada] = await players(server, "ada");
  for (const [from, to] of [
    ["ada", "bob"],
    ["bob", "ada"],
  ] as const)
    await api(server, "/api/friends", from, { method: "POST", body: JSON.stringify({ player_id: to }) });
  const bob = await connect(server.wsUrl("/ws"), { token: "dev:bob", WebSocket, reconnect: false });
  await bob.presence.update("away");
  expect((await ada.expect("presence.changed", (p) => p.status === "away")).payload).toEqual({ player_id: "bob", status: "away" });
  await bob.presence.update("in_game", { match_id: "m1.plain" });
  expect((await ada.expect("presence.changed", (p) => p.status === "in_game")).payload).toEqual({
    player_id: "bob",
    status: "in_game",
    metadata: { match_id: "m1.plain" },
  });
  bob.close();
});
