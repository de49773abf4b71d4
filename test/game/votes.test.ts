/** Vote counting: every method, the documented tie-breaking, and approval and ranked ballots over the socket. */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { newVote, voteResult, type VoteRecord } from "../../src/game/votes.js";
import example from "../../examples/game/game.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "a", label: "A" },
  { id: "b", label: "B" },
  { id: "c", label: "C" },
];

function vote(method: string, ballots: Record<string, string[]>, extra: Record<string, unknown> = {}, eligible = ["p1", "p2", "p3", "p4", "p5"]): VoteRecord {
  const record = newVote("v1", { options: OPTIONS, method, window_ms: 1000, ...extra }, eligible, 0);
  record.ballots = ballots;
  return record;
}

describe("vote results", () => {
  it("plurality: most votes wins; a tie goes to the option listed first; no ballot has no winner", () => {
    expect(voteResult(vote("plurality", { p1: ["b"], p2: ["b"], p3: ["c"] }))).toMatchObject({
      winner: "b",
      counts: { a: 0, b: 2, c: 1 },
      total_votes: 3,
      turnout: 0.6,
    });
    expect(voteResult(vote("plurality", { p1: ["c"], p2: ["b"] })).winner).toBe("b");
    expect(voteResult(vote("plurality", {}))).toEqual({
      vote_id: "v1",
      winner: null,
      counts: { a: 0, b: 0, c: 0 },
      distribution: { a: 0, b: 0, c: 0 },
      total_votes: 0,
      turnout: 0,
    });
  });

  it("approval: every approved option counts; distribution is the share of all approvals", () => {
    const result = voteResult(vote("approval", { p1: ["a", "b"], p2: ["b"], p3: ["b", "c"], p4: ["c"] }));
    expect(result).toMatchObject({ winner: "b", counts: { a: 1, b: 3, c: 2 }, distribution: { a: 0.166, b: 0.5, c: 0.333 }, total_votes: 4, turnout: 0.8 });
  });

  it("weighted: each ballot counts its player's weight (default 1)", () => {
    const result = voteResult(vote("weighted", { p1: ["a"], p2: ["b"], p3: ["b"] }, { weights: { p1: 3 } }));
    expect(result).toMatchObject({ winner: "a", counts: { a: 3, b: 2, c: 0 }, total_votes: 3 });
  });

  it("ranked: instant runoff moves the eliminated option's ballots to their next preference", () => {
    // First preferences a 2, b 2, c 1: c goes, its ballot prefers b next: b 3 of 5.
    const result = voteResult(vote("ranked", { p1: ["a"], p2: ["a", "b"], p3: ["b", "a"], p4: ["b"], p5: ["c", "b"] }));
    expect(result).toMatchObject({ winner: "b", counts: { a: 2, b: 3, c: 0 }, total_votes: 5, turnout: 1 });
    // A tie for fewest eliminates the option listed last (c, not b); c's ballot is then exhausted: a has 2 of 3.
    expect(voteResult(vote("ranked", { p1: ["a"], p2: ["a"], p3: ["b"], p4: ["c"] })).winner).toBe("a");
  });
});

describe("votes over the socket", () => {
  it("approval ballots are lists, ranked ballots are preference orders; a recast replaces", async () => {
    const server = await startGame(example);
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada, bob]) await client.request("match.join", { match_id: "v.arena" });
    ada.send("match.input", { action: "call_vote", options: OPTIONS, method: "approval", window_ms: 300, visibility: "live" });
    const approval = (await bob.expect("match.vote_start")).payload;
    expect(approval).toMatchObject({ method: "approval", window_ms: 300 });
    await ada.request("vote.cast", { vote_id: approval.vote_id, option_id: ["a", "c"] });
    await bob.request("vote.cast", { vote_id: approval.vote_id, option_id: ["a"] });
    await bob.request("vote.cast", { vote_id: approval.vote_id, option_id: ["c", "b"] });
    expect((await ada.expect("match.vote_tally", (p) => p.tallies.b === 1)).payload.tallies).toEqual({ a: 1, b: 1, c: 2 });
    expect((await ada.expect("match.vote_result")).payload).toMatchObject({ winner: "c", counts: { a: 1, b: 1, c: 2 }, total_votes: 2, turnout: 1 });

    ada.send("match.input", { action: "call_vote", options: OPTIONS, method: "ranked", window_ms: 300 });
    const ranked = (await bob.expect("match.vote_start", (p) => p.vote_id !== approval.vote_id)).payload;
    await ada.request("vote.cast", { vote_id: ranked.vote_id, option_id: ["b", "a"] });
    await bob.request("vote.cast", { vote_id: ranked.vote_id, option_id: ["c", "b"] });
    // b 1, c 1 at first: a (0) goes, then c (tied with b, listed last) goes: b wins with both ballots.
    expect((await bob.expect("match.vote_result", (p) => p.vote_id === ranked.vote_id)).payload).toMatchObject({ winner: "b", counts: { a: 0, b: 2, c: 0 } });
  });
});
