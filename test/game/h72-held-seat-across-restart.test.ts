/**
 * The seats a match holds for its matched players (the matchmaker's reservation, reconnectWindowMs) lived in the
 * server's memory only: after a restart, a match its first player had joined no longer held the others' seats, so a
 * stranger joining by id took one, and the matched player who came next was refused "full". The room stores what it
 * holds with its state and holds it again when it is back (until the same time).
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineMatch, type GameOptions } from "../../src/game/index.js";
import { cleanupAll } from "../helpers/server.js";
import { players, restartGame, startGame } from "./helpers.js";

afterEach(cleanupAll);

const duel = defineMatch({ tickRate: 20, maxPlayers: 2, init: () => ({}) });
const options: GameOptions = { matches: { duel }, modes: { duel: { size: 2, match: "duel" } } };

describe("a matched player's held seat, across a restart", () => {
  it("is still held: a stranger is refused 'full', the matched player joins", async () => {
    const server = await startGame({ ...options, server: { storage: "leveldb" } });
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada!, bob!]) await client.request("matchmaker.add", { mode: "duel", properties: {} });
    const matchId = (await ada!.expect("matchmaker.matched")).payload.match_id as string;
    expect((await ada!.request("match.join", { match_id: matchId })).type).toBe("match.join");

    const again = await restartGame(server, options);
    const [carl, bobAgain] = await players(again, "carl", "bob");
    expect(await carl!.request("match.join", { match_id: matchId })).toMatchObject({ type: "error", payload: { reason: expect.stringMatching(/full/) } });
    expect((await bobAgain!.request("match.join", { match_id: matchId })).type).toBe("match.join");
  });
});
