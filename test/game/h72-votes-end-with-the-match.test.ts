/**
 * `match.finished` is a match's last word, and after it ballots are refused: a vote open at the finish closed later
 * by the alarm all the same (`match.vote_result` after `match.finished`, and `onVoteResult` on a finished match), and
 * `ctx.startVote` after the finish opened a vote nobody could cast in. A finished match has no open votes: those
 * open close at the finish with the ballots cast, each result before `match.finished`; a new one is refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import { defineMatch, type VoteSpec } from "../../src/game/index.js";
import { cleanupAll } from "../helpers/server.js";
import { inStartedArena, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "jungle", label: "Jungle Path" },
  { id: "volcano", label: "Volcano Path" },
];

describe("the votes of a finished match", () => {
  it("close at the finish with the ballots cast: match.vote_result before match.finished, none after", async () => {
    const server = await startGame(example);
    const [ada, bob] = await players(server, "ada", "bob");
    await inStartedArena([ada!, bob!]);
    ada!.send("match.input", { action: "call_vote", options: OPTIONS, window_ms: 600 });
    const voteId = (await bob!.expect("match.vote_start")).payload.vote_id as string;
    expect((await bob!.request("vote.cast", { vote_id: voteId, option_id: "volcano" })).type).toBe("vote.cast");
    ada!.send("match.input", { action: "finish" });
    await bob!.expect("match.finished");
    const result = await bob!.expect("match.vote_result", (p) => p.vote_id === voteId, 2_000);
    expect(result.payload).toMatchObject({ winner: "volcano", total_votes: 1 });
    const at = (type: string) => bob!.received.findIndex((m) => m.type === type);
    expect(at("match.vote_result")).toBeLessThan(at("match.finished"));
  });

  it("refuse a new vote (ctx.startVote throws MatchError), and the logic hears no result", async () => {
    const results: unknown[] = [];
    const voting = defineMatch({
      tickRate: 20,
      init: () => ({}),
      onInput(_state, { payload }, ctx) {
        if (payload.finish) ctx.finish({ done: true });
        ctx.startVote(payload.spec as VoteSpec);
      },
      onVoteResult: (_state, result) => void results.push(result),
    });
    const server = await startGame({ matches: { voting } });
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada!, bob!]) await client.request("match.join", { match_id: "f.voting" });
    await ada!.expect("match.started");
    ada!.send("match.input", { spec: { options: OPTIONS, window_ms: 200 } });
    for (const client of [ada!, bob!]) await client.expect("match.vote_start");
    ada!.send("match.input", { finish: true, spec: { options: OPTIONS, window_ms: 200 } }, "late-vote");
    const answer = await ada!.until("the answer to the vote started after the finish", (m) => m.cid === "late-vote" || m.type === "match.vote_start");
    expect(answer).toMatchObject({ type: "error", payload: { reason: expect.stringMatching(/finished/) } });
    await bob!.expect("match.vote_result");
    await bob!.expect("match.finished");
    // The result went out with the finish (the alarm, had the vote stayed open, would have told the logic too).
    expect(results).toEqual([]);
    const at = (type: string) => bob!.received.findIndex((m) => m.type === type);
    expect(at("match.vote_result")).toBeLessThan(at("match.finished"));
    expect(bob!.received.filter((m) => m.type === "match.vote_start")).toHaveLength(1);
  });
});
