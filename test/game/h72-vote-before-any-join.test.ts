/**
 * A vote the logic starts in `init` (a map vote as the match opens) was started among nobody: no player had joined,
 * so every ballot was refused ("only the players of the match when the vote started may vote") and the result had
 * no winner. A vote started before anyone joined is the matched players'; a match joined by id has none then, and
 * `ctx.startVote` throws `MatchError` (the join is refused saying why) rather than start a vote nobody can cast in.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineMatch } from "../../src/game/index.js";
import { cleanupAll } from "../helpers/server.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "jungle", label: "Jungle Path" },
  { id: "volcano", label: "Volcano Path" },
];
const mapVote = defineMatch({
  tickRate: 20,
  init(ctx) {
    ctx.startVote({ options: OPTIONS, window_ms: 5_000 });
    return {};
  },
});

describe("a vote started in init", () => {
  it("of a matched match: its matched players cast in it", async () => {
    const server = await startGame({ matches: { mapVote }, modes: { duel: { size: 2, match: "mapVote" } } });
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada!, bob!]) await client.request("matchmaker.add", { mode: "duel", properties: {} });
    const matchId = (await ada!.expect("matchmaker.matched")).payload.match_id as string;
    for (const client of [ada!, bob!]) await client.request("match.join", { match_id: matchId });
    for (const client of [ada!, bob!]) {
      const voteId = (await client.expect("match.vote_start")).payload.vote_id as string;
      expect((await client.request("vote.cast", { vote_id: voteId, option_id: "volcano" })).type).toBe("vote.cast");
    }
  });

  it("of a match joined by id (nobody to vote): refused, the join answered error saying why", async () => {
    const server = await startGame({ matches: { mapVote } });
    const [ada] = await players(server, "ada");
    expect(await ada!.request("match.join", { match_id: "x.mapVote" })).toMatchObject({
      type: "error",
      payload: { reason: expect.stringMatching(/no players/) },
    });
  });
});
