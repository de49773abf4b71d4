/**
 * A vote that ends while a player's socket is gone (its seat kept, reconnectWindowMs): its `match.vote_result` (or
 * `match.vote_vetoed`) reached the session with no socket and was dropped; the rejoin re-sends `match.started`, the
 * open votes and `match.finished`, not how a vote ended. The player saw the vote start and never learned its end.
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import { cleanupAll } from "../helpers/server.js";
import { gameClient, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "jungle", label: "Jungle Path" },
  { id: "volcano", label: "Volcano Path" },
];

describe("a vote that ends while a player is away", () => {
  it("reaches the player back on its seat: match.vote_result, and match.vote_vetoed, each once", async () => {
    const server = await startGame(example);
    const [ada, bob] = await players(server, "ada", "bob");
    await ada!.request("match.join", { match_id: "away.arena" });
    await bob!.request("match.join", { match_id: "away.arena" });
    await ada!.expect("match.started");
    bob!.send("match.input", { action: "call_vote", options: OPTIONS, window_ms: 400 });
    bob!.send("match.input", { action: "call_vote", options: OPTIONS, window_ms: 60_000, veto_enabled: true });
    const closing = (await ada!.expect("match.vote_start", (p) => p.window_ms === 400)).payload.vote_id as string;
    const vetoed = (await ada!.expect("match.vote_start", (p) => p.window_ms === 60_000)).payload.vote_id as string;
    ada!.client.ws.terminate(); // the seat is kept for reconnectWindowMs
    await ada!.client.closed;

    expect((await bob!.request("vote.cast", { vote_id: closing, option_id: "volcano" })).type).toBe("vote.cast");
    expect((await bob!.request("vote.veto", { vote_id: vetoed })).type).toBe("vote.veto");
    await bob!.expect("match.vote_result", (p) => p.vote_id === closing);

    const back = gameClient(server);
    await back.connect("ada");
    expect((await back.request("match.join", { match_id: "away.arena" })).type).toBe("match.join");
    await back.expect("match.started");
    const result = await back.expect("match.vote_result", (p) => p.vote_id === closing, 2_000);
    expect(result.payload).toMatchObject({ winner: "volcano", total_votes: 1 });
    await back.expect("match.vote_vetoed", (p) => p.vote_id === vetoed && p.vetoed_by === "bob", 2_000);
    // Once each: a second state later, no copy came.
    await back.expect("match.state");
    await back.expect("match.state");
    expect(back.received.filter((m) => m.type === "match.vote_result" || m.type === "match.vote_vetoed")).toHaveLength(2);
  });
});
