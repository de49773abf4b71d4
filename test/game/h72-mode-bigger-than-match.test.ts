/**
 * A mode whose `size` is more than its match seats (`maxPlayers`, default 16) matched players the match could not
 * take: the last ones to join were refused "full", and the match waited its `startTimeoutMs` for them. createGame
 * refuses it, as the rooms protocol refuses a `matchmaking.enqueue` bigger than its room type (h64); and a
 * `maxPlayers` that seats nobody (0, 1.5) is refused by defineMatch.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createGame, defineMatch } from "../../src/game/index.js";
import { cleanupAll } from "../helpers/server.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

describe("a mode bigger than its match", () => {
  it("is refused by createGame, naming the mode, its size and the match's maxPlayers", () => {
    const duel = defineMatch({ tickRate: 10, maxPlayers: 2, init: () => ({}) });
    expect(() => createGame({ matches: { duel }, modes: { trio: { size: 3, match: "duel" } } })).toThrow(/Mode "trio".*size 3.*"duel".*maxPlayers.*2/);
    const crowd = defineMatch({ tickRate: 10, init: () => ({}) });
    expect(() => createGame({ matches: { crowd }, modes: { big: { size: 20, match: "crowd" } } })).toThrow(/maxPlayers.*16/);
  });

  it("a match's maxPlayers must seat someone", () => {
    for (const maxPlayers of [0, -1, 1.5, Number.NaN]) expect(() => defineMatch({ tickRate: 10, maxPlayers, init: () => ({}) })).toThrow(/maxPlayers/);
  });

  it("a mode as big as its match still matches and starts with every player", async () => {
    const duel = defineMatch({ tickRate: 20, maxPlayers: 2, init: () => ({}) });
    const server = await startGame({ matches: { duel }, modes: { duel: { size: 2, match: "duel" } } });
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada!, bob!]) await client.request("matchmaker.add", { mode: "duel", properties: {} });
    const matchId = (await ada!.expect("matchmaker.matched")).payload.match_id as string;
    for (const client of [ada!, bob!]) expect((await client.request("match.join", { match_id: matchId })).type).toBe("match.join");
    expect((await ada!.expect("match.started")).payload.players).toEqual(["ada", "bob"]);
  });
});
