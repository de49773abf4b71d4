/**
 * The seats a match holds for its matched players are held for `seatReservationMs`, however long a dropped session
 * keeps its seat (`reconnectWindowMs`). Before, the hold was the reconnect window: with `reconnectWindowMs: 0`
 * (documented: "may be 0 (none)") the seats were free at once, the match started as its first player joined, its
 * `init` told of no one, and the second matched player came into a match that had not waited for it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineMatch, type GameOptions } from "../../src/game/index.js";
import { cleanupAll } from "../helpers/server.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

/** Its state says whom `init` was told the matchmaker matched. */
const duel = defineMatch<{ matched: string[] | null }>({ tickRate: 20, maxPlayers: 2, init: (_ctx, { players }) => ({ matched: players }) });
const options: GameOptions = { matches: { duel }, modes: { duel: { size: 2, match: "duel" } }, limits: { reconnectWindowMs: 0 } };

describe("a match made with no reconnect window", () => {
  it("holds its players' seats and waits for both", async () => {
    const server = await startGame({ ...options, server: { storage: "memory" } });
    const [ada, bob, carl] = await players(server, "ada", "bob", "carl");
    for (const client of [ada!, bob!]) await client.request("matchmaker.add", { mode: "duel", properties: {} });
    const matchId = (await ada!.expect("matchmaker.matched")).payload.match_id as string;
    await bob!.expect("matchmaker.matched");
    expect((await ada!.request("match.join", { match_id: matchId })).type).toBe("match.join");
    expect(await carl!.request("match.join", { match_id: matchId })).toMatchObject({ type: "error", payload: { reason: expect.stringMatching(/full/) } });
    expect((await bob!.request("match.join", { match_id: matchId })).type).toBe("match.join");
    expect((await ada!.expect("match.started")).payload.players).toEqual(["ada", "bob"]);
    expect((await ada!.expect("match.state")).payload).toEqual({ matched: ["ada", "bob"] });
  });
});
