/**
 * In `onJoin(state, player, ctx)` the joining player is in the match: `ctx.players` left it out (the room seats it
 * after the hook), so a logic counting its players saw one fewer, and a vote started there (the last player in:
 * "pick a map") could not take the joiner's ballot ("only the players of the match when the vote started may vote").
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

describe("onJoin's ctx.players", () => {
  it("holds the joining player; a vote started there takes its ballot", async () => {
    const seen: string[][] = [];
    const lobby = defineMatch({
      tickRate: 20,
      init: () => ({}),
      onJoin(_state, _player, ctx) {
        seen.push([...ctx.players]);
        if (ctx.players.length === 2) ctx.startVote({ options: OPTIONS, window_ms: 5_000 });
      },
    });
    const server = await startGame({ matches: { lobby } });
    const [ada, bob] = await players(server, "ada", "bob");
    await ada!.request("match.join", { match_id: "m.lobby" });
    await bob!.request("match.join", { match_id: "m.lobby" });
    expect(seen).toEqual([["ada"], ["ada", "bob"]]);
    const voteId = (await bob!.expect("match.vote_start")).payload.vote_id as string;
    expect((await bob!.request("vote.cast", { vote_id: voteId, option_id: "jungle" })).type).toBe("vote.cast");
  });
});
