/**
 * What the game refuses with a clear error: a ballot or veto after `match.finished`, a weighted vote in which every
 * player weighs 0 (no ballot could count), and a REST body holding a `"__proto__"` key.
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import { defineMatch, type VoteSpec } from "../../src/game/index.js";
import { cleanupAll } from "../helpers/server.js";
import { api, inStartedArena, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "jungle", label: "Jungle Path" },
  { id: "volcano", label: "Volcano Path" },
];
const callVote = (extra: Record<string, unknown> = {}) => ({
  action: "call_vote",
  options: OPTIONS,
  method: "plurality",
  window_ms: 5_000,
  veto_enabled: true,
  ...extra,
});

describe("refused with a clear error", () => {
  it("a vote.cast or vote.veto after match.finished", async () => {
    const server = await startGame(example);
    const [ada, bob] = await players(server, "ada", "bob");
    await inStartedArena([ada!, bob!]);
    ada!.send("match.input", callVote());
    const voteId = (await bob!.expect("match.vote_start")).payload.vote_id as string;
    ada!.send("match.input", { action: "finish" });
    await bob!.expect("match.finished");
    for (const type of ["vote.cast", "vote.veto"]) {
      expect(await bob!.request(type, { vote_id: voteId, option_id: "jungle" })).toMatchObject({
        type: "error",
        payload: { reason: expect.stringMatching(/finished/) },
      });
    }
  });

  it("a weighted vote in which every player weighs 0", async () => {
    // The example's call_vote takes no weights: a match whose input is the vote's spec.
    const voting = defineMatch({ tickRate: 20, init: () => ({}), onInput: (_state, { payload }, ctx) => void ctx.startVote(payload as unknown as VoteSpec) });
    const server = await startGame({ matches: { voting } });
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada!, bob!]) await client.request("match.join", { match_id: "w.voting" });
    await ada!.expect("match.started");
    ada!.send("match.input", { options: OPTIONS, method: "weighted", window_ms: 5_000, weights: { ada: 0, bob: 0 } }, "zero");
    const answer = await ada!.until("the answer to the zero-weight vote", (m) => m.cid === "zero" || m.type === "match.vote_start");
    expect(answer).toMatchObject({ type: "error", payload: { reason: expect.stringMatching(/weigh/) } });
  });

  it('a REST body holding a "__proto__" key: 400', async () => {
    const server = await startGame(example);
    const answer = await api(server, "/api/friends", "ada", { method: "POST", body: '{"player_id": "alan", "__proto__": {"polluted": true}}' });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(/__proto__/);
  });
});
