/**
 * The match knows whom the matchmaker matched, whichever session joins first: a matched player whose socket dropped
 * (its session, with no match yet, ended) connects again and joins first; the match waits for the other player.
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import { cleanupAll } from "../helpers/server.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

describe("a matched player back on a new socket before match.join", () => {
  it("joins a match that waits for every matched player", async () => {
    const server = await startGame(example);
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada!, bob!]) await client.request("matchmaker.add", { mode: "arena", properties: {} });
    const matchId = (await ada!.expect("matchmaker.matched")).payload.match_id as string;
    await ada!.client.close(); // a network loss: ada's session had no match, so it ends

    const [adaAgain] = await players(server, "ada");
    expect((await adaAgain!.request("match.join", { match_id: matchId })).type).toBe("match.join");
    // Not started alone: a move is refused as early (a match started would take it, and announce itself).
    adaAgain!.send("match.input", { action: "move", x: 1, y: 1 }, "early-move");
    const first = await adaAgain!.until("the refused move or match.started", (m) => m.cid === "early-move" || m.type === "match.started");
    expect(first).toMatchObject({ type: "error", payload: { reason: expect.stringMatching(/has not started/) } });
    await bob!.request("match.join", { match_id: matchId });
    for (const client of [adaAgain!, bob!]) expect((await client.expect("match.started")).payload.players).toEqual(["ada", "bob"]);
  });
});
