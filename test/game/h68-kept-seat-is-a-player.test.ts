/**
 * A player whose seat was kept across a restart (same LevelDB folder) is still a player of the match: the first
 * player back is told `match.started` with both players, and a vote started before the other is back counts it as
 * eligible (its ballot is taken; turnout is of both).
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import { cleanupAll } from "../helpers/server.js";
import { inStartedArena, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "jungle", label: "Jungle Path" },
  { id: "volcano", label: "Volcano Path" },
];

describe("a seat kept across a restart", () => {
  it("is in match.started's players and among a new vote's voters before its player is back", async () => {
    const server = await startGame({ ...example, server: { storage: "leveldb" } });
    const matchId = await inStartedArena(await players(server, "ada", "bob"));
    const restarted = await server.restart(); // ada's and bob's seats are kept (reconnect window)

    const [ada] = await players(restarted, "ada");
    await ada!.request("match.join", { match_id: matchId });
    expect((await ada!.expect("match.started")).payload.players).toEqual(expect.arrayContaining(["ada", "bob"]));
    ada!.send("match.input", { action: "call_vote", options: OPTIONS, method: "plurality", window_ms: 1_000, visibility: "hidden" });
    const voteId = (await ada!.expect("match.vote_start")).payload.vote_id as string;

    const [bob] = await players(restarted, "bob");
    expect((await bob!.request("match.join", { match_id: matchId })).type).toBe("match.join");
    expect(await bob!.request("vote.cast", { vote_id: voteId, option_id: "volcano" })).toMatchObject({ type: "vote.cast" });
    expect((await ada!.expect("match.vote_result")).payload).toMatchObject({ winner: "volcano", total_votes: 1, turnout: 0.5 });
  });
});
