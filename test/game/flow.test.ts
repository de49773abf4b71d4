/**
 * The four-player flow, end to end over real sockets: connect → matchmaker → matched → join → inputs →
 * state ticks → a live vote vetoed and one not → result → finished. The match is the example's arena.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import example from "../../examples/game/game.js";
import { players, startGame, type GameClient, type Message } from "./helpers.js";

afterEach(cleanupAll);

const ARENA_OPTIONS = [
  { id: "jungle", label: "Jungle Path" },
  { id: "volcano", label: "Volcano Path" },
];

async function all<T>(clients: GameClient[], each: (client: GameClient) => Promise<T>): Promise<T[]> {
  return Promise.all(clients.map(each));
}

describe("the four-player flow", () => {
  it("matchmaker → matched → join → inputs → state ticks → a vetoed vote and a live vote with its result → finished", async () => {
    const server = await startGame({ ...example, modes: { ...example.modes, squad: { size: 4, match: "arena" } } });
    const names = ["ada", "bob", "cy", "dee"];
    const clients = await players(server, ...names);
    const [ada, bob, cy, dee] = clients as [GameClient, GameClient, GameClient, GameClient];

    // Matchmaker: a ticket each; matched once the fourth is in.
    const tickets = await all(clients, (client) => client.request("matchmaker.add", { mode: "squad", properties: { skill: 1200 } }));
    for (const ticket of tickets) expect(ticket).toMatchObject({ type: "matchmaker.add", payload: { ticket_id: expect.any(String) } });
    const matched = await all(clients, (client) => client.expect("matchmaker.matched"));
    const matchId = matched[0]!.payload.match_id as string;
    for (const message of matched) {
      expect(message.payload.match_id).toBe(matchId);
      expect([...message.payload.players].sort()).toEqual(names);
    }

    // Join: each answered, then match.started with every player once all four are in.
    const joins = await all(clients, (client) => client.request("match.join", { match_id: matchId }));
    for (const join of joins) expect(join).toMatchObject({ type: "match.join", payload: { match_id: matchId } });
    const started = await all(clients, (client) => client.expect("match.started"));
    for (const message of started) {
      expect(message.payload.match_id).toBe(matchId);
      expect([...message.payload.players].sort()).toEqual(names);
    }

    // Inputs are applied at the ticks; every player sees them in match.state, whose tick goes up.
    ada.send("match.input", { action: "move", x: 10, y: 5 });
    bob.send("match.input", { action: "move", x: -3, y: 7 });
    const seen = await all(clients, (client) => client.expect("match.state", (p) => p.players.ada?.x === 10 && p.players.bob?.x === -3));
    for (const state of seen) expect(state.payload.players).toEqual({ ada: { x: 10, y: 5 }, bob: { x: -3, y: 7 }, cy: { x: 0, y: 0 }, dee: { x: 0, y: 0 } });
    const later = await ada.expect("match.state", (p) => p.tick > seen[0]!.payload.tick);
    expect(later.payload.players.ada).toEqual({ x: 10, y: 5 });

    // A live vote with veto: a cast shows a tally, cy vetoes it, every player is told, and it never has a result.
    ada.send("match.input", { action: "call_vote", options: ARENA_OPTIONS, method: "plurality", window_ms: 1000, visibility: "live", veto_enabled: true });
    const vetoedStart = await all(clients, (client) => client.expect("match.vote_start"));
    const vetoedId = vetoedStart[0]!.payload.vote_id as string;
    expect(vetoedStart[0]!.payload).toMatchObject({ vote_id: vetoedId, options: ARENA_OPTIONS, window_ms: 1000, method: "plurality" });
    expect(await bob.request("vote.cast", { vote_id: vetoedId, option_id: "volcano" })).toMatchObject({ type: "vote.cast", payload: { vote_id: vetoedId } });
    const tally = await dee.expect("match.vote_tally", (p) => p.vote_id === vetoedId);
    expect(tally.payload).toMatchObject({ tallies: { jungle: 0, volcano: 1 }, total_votes: 1 });
    expect(tally.payload.time_remaining_ms).toBeGreaterThan(0);
    expect(tally.payload.time_remaining_ms).toBeLessThanOrEqual(1000);
    expect(await cy.request("vote.veto", { vote_id: vetoedId })).toMatchObject({ type: "vote.veto", payload: { vote_id: vetoedId } });
    for (const message of await all(clients, (client) => client.expect("match.vote_vetoed")))
      expect(message.payload).toEqual({ vote_id: vetoedId, vetoed_by: "cy" });

    // A live vote without veto: three of four vote (dee changes her mind: a recast replaces), then the window closes.
    ada.send("match.input", { action: "call_vote", options: ARENA_OPTIONS, method: "plurality", window_ms: 1200, visibility: "live", veto_enabled: false });
    const voteId = (await ada.expect("match.vote_start", (p) => p.vote_id !== vetoedId)).payload.vote_id as string;
    await all([bob, cy, dee], (client) => client.expect("match.vote_start", (p) => p.vote_id === voteId));
    expect((await ada.request("vote.cast", { vote_id: voteId, option_id: "jungle" })).type).toBe("vote.cast");
    expect((await dee.request("vote.cast", { vote_id: voteId, option_id: "jungle" })).type).toBe("vote.cast");
    expect((await dee.request("vote.cast", { vote_id: voteId, option_id: "volcano" })).type).toBe("vote.cast");
    expect((await bob.request("vote.cast", { vote_id: voteId, option_id: "jungle" })).type).toBe("vote.cast");
    const lastTally = await cy.expect("match.vote_tally", (p) => p.vote_id === voteId && p.total_votes === 3);
    expect(lastTally.payload.tallies).toEqual({ jungle: 2, volcano: 1 });
    const results = await all(clients, (client) => client.expect("match.vote_result", undefined, 5000));
    for (const result of results) {
      expect(result.payload).toEqual({
        vote_id: voteId,
        winner: "jungle",
        counts: { jungle: 2, volcano: 1 },
        distribution: { jungle: 0.666, volcano: 0.333 },
        total_votes: 3,
        turnout: 0.75,
      });
    }
    // The vetoed vote's window has passed by now: still no result for it.
    expect(clients.flatMap((client) => client.received).filter((m: Message) => m.type === "match.vote_result" && m.payload.vote_id === vetoedId)).toEqual([]);

    // Finished: the result to everyone, and no more ticks.
    bob.send("match.input", { action: "finish" });
    for (const message of await all(clients, (client) => client.expect("match.finished")))
      expect(message.payload).toEqual({ match_id: matchId, result: { winner: "bob" } });
    const answer = await ada.request("match.input", { action: "move", x: 1, y: 1 });
    expect(answer).toMatchObject({ type: "error", payload: { reason: "the match is finished" } });
  });
});
