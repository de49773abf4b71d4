/**
 * A match's held seats (the matchmaker's reservation) lived only in memory until the match's first join: a restart
 * between `matchmaker.matched` and that join lost them. A stranger joining the match by id took a seat, the matched
 * player who came next was refused "full", and the match started as one joined by id (its `init` got no players). The
 * match's room stores the seats as the match is made, before the players are told.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineMatch, type GameOptions } from "../../src/game/index.js";
import { cleanupAll, storageEmptied } from "../helpers/server.js";
import { players, restartGame, startGame } from "./helpers.js";

afterEach(cleanupAll);

/** Its state says whom `init` was told the matchmaker matched. */
const duel = defineMatch<{ matched: string[] | null }>({ tickRate: 20, maxPlayers: 2, init: (_ctx, { players }) => ({ matched: players }) });
const options: GameOptions = { matches: { duel }, modes: { duel: { size: 2, match: "duel" } } };

describe("a match made just before a restart", () => {
  it("still holds its players' seats and waits for them", async () => {
    const server = await startGame({ ...options, server: { storage: "leveldb" } });
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada!, bob!]) await client.request("matchmaker.add", { mode: "duel", properties: {} });
    const matchId = (await ada!.expect("matchmaker.matched")).payload.match_id as string;
    await bob!.expect("matchmaker.matched");

    const again = await restartGame(server, options);
    const [carl, adaAgain, bobAgain] = await players(again, "carl", "ada", "bob");
    expect(await carl!.request("match.join", { match_id: matchId })).toMatchObject({ type: "error", payload: { reason: expect.stringMatching(/full/) } });
    expect((await adaAgain!.request("match.join", { match_id: matchId })).type).toBe("match.join");
    expect((await bobAgain!.request("match.join", { match_id: matchId })).type).toBe("match.join");
    expect((await adaAgain!.expect("match.started")).payload.players).toEqual(["ada", "bob"]);
    expect((await adaAgain!.expect("match.state")).payload).toEqual({ matched: ["ada", "bob"] });
  });

  it("leaves nothing stored once its players never came and their time is up", async () => {
    const short = { ...options, limits: { seatReservationMs: 300 } };
    const server = await startGame({ ...short, server: { storage: "leveldb" } });
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada!, bob!]) await client.request("matchmaker.add", { mode: "duel", properties: {} });
    const matchId = (await ada!.expect("matchmaker.matched")).payload.match_id as string;
    const stored = server.server.storage.kv(`game-match.duel/${matchId}`);
    expect((await stored.get("yparty.rooms.reserved")) as unknown).toMatchObject({ players: ["ada", "bob"] });
    const again = await restartGame(server, short);
    // The room's alarm brings it back when the seats are free, and it forgets them.
    await storageEmptied(again, `game-match.duel/${matchId}`);
  });
});
