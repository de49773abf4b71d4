/**
 * Seed 002: `vote.veto` "requires veto_tokens_per_player > 0 and veto_enabled on the vote". A match that gives no
 * veto tokens (`vetoTokensPerPlayer` 0, the default) could start a vote with `veto_enabled: true`: every client was
 * shown a veto (`match.vote_start {veto_enabled: true}`) that no player could ever use. `ctx.startVote` now refuses it.
 */
import { afterEach, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch, GameErrorCode, MatchError } from "../../src/game/index.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "jungle", label: "Jungle Path" },
  { id: "volcano", label: "Volcano Path" },
];

const noTokens = defineMatch({
  tickRate: 20,
  init: () => ({}),
  onInput(_state, { payload }, ctx) {
    if (payload.action !== "call_vote") throw new MatchError("unknown action");
    ctx.startVote({ options: OPTIONS, window_ms: 5_000, veto_enabled: payload.veto_enabled === true });
  },
});

it("a veto_enabled vote in a match without veto tokens is refused; one without veto_enabled starts", async () => {
  const server = await startGame({ matches: { noTokens } });
  const [ada] = await players(server, "ada");
  await ada.request("match.join", { match_id: "m1.noTokens" });
  await ada.expect("match.started");

  const refused = await ada.request("match.input", { action: "call_vote", veto_enabled: true });
  expect(refused).toMatchObject({ type: "error", payload: { code: GameErrorCode.BadInput, reason: expect.stringContaining("vetoTokensPerPlayer > 0") } });
  ada.send("match.input", { action: "call_vote", veto_enabled: false });
  const started = await ada.expect("match.vote_start");
  expect(started.payload).toMatchObject({ vote_id: "v1", veto_enabled: false });
  expect(ada.received.filter((m) => m.type === "match.vote_start")).toHaveLength(1);
});
