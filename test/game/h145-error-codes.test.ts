/**
 * Every `error` carries a `code`: seed 002 names none, so Nakama's realtime error codes (`rtapi.Error.Code`), which a
 * Nakama-shaped client branches on (4: no such match, 5: the join refused, 1: an unknown message, 3: bad input, 0: the
 * server could not do it now). Before, `error` held a `reason` only, and a client had to match English text to tell
 * a missing match from a full one.
 */
import { afterEach, expect, it } from "vitest";
import WebSocket from "ws";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch, MatchError } from "../../src/game/index.js";
import { connect, GameErrorCode, GameRequestError } from "../../game-client/index.js";
import { gameClient, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const guarded = defineMatch({
  tickRate: 20,
  maxPlayers: 1,
  init: () => ({}),
  onJoin(_state, player) {
    if (player === "eve") throw new MatchError("eve is banned from this match");
  },
  onInput(_state, { payload }) {
    if (payload.action !== "move") throw new MatchError("unknown action");
  },
});

it("error carries Nakama's code: unrecognized type, bad input, match not found, join rejected, a refused input", async () => {
  const server = await startGame({ matches: { guarded } });

  const early = gameClient(server);
  expect((await early.request("chat.join", { channel_id: "lobby" })).payload).toEqual({
    code: GameErrorCode.BadInput,
    reason: expect.stringContaining("session.connect"),
  });

  const [ada, bob, eve] = await players(server, "ada", "bob", "eve");
  expect((await ada.request("match.kick", {})).payload).toMatchObject({ code: GameErrorCode.UnrecognizedPayload });
  expect((await ada.request("matchmaker.add", { mode: "nope" })).payload).toMatchObject({ code: GameErrorCode.BadInput });
  expect((await ada.request("match.join", { match_id: "m1.nosuchmatch" })).payload).toMatchObject({ code: GameErrorCode.MatchNotFound });
  expect((await eve.request("match.join", { match_id: "m1.guarded" })).payload).toEqual({
    code: GameErrorCode.MatchJoinRejected,
    reason: "eve is banned from this match",
  });

  expect((await ada.request("match.join", { match_id: "m1.guarded" })).type).toBe("match.join");
  expect((await bob.request("match.join", { match_id: "m1.guarded" })).payload).toMatchObject({ code: GameErrorCode.MatchJoinRejected }); // full
  await ada.expect("match.started");
  expect((await ada.request("match.input", { action: "jump" })).payload).toEqual({ code: GameErrorCode.BadInput, reason: "unknown action" });
  expect((await ada.request("vote.cast", { vote_id: "v9", option_id: "a" })).payload).toMatchObject({ code: GameErrorCode.BadInput });

  // The typed client hands the code on with the refusal.
  const client = await connect(server.wsUrl("/ws"), { token: "dev:eve", WebSocket, reconnect: false });
  const refused = await client.match.join("m2.guarded").then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(refused).toBeInstanceOf(GameRequestError);
  expect(refused).toMatchObject({ kind: "refused", code: GameErrorCode.MatchJoinRejected, message: "eve is banned from this match" });
  client.close();
});
