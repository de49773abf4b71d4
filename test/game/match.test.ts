/** Matches and the matchmaker: modes with rules, reconnect within a match, a vote closing across a restart. */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, type TestServer } from "../helpers/server.js";
import { defineMatch, MatchError, within } from "../../src/game/index.js";
import example from "../../examples/game/game.js";
import { gameClient, players, type GameClient } from "./helpers.js";
import { startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "jungle", label: "Jungle Path" },
  { id: "volcano", label: "Volcano Path" },
];

/** Two players matched in `mode` and joined; resolves once both saw match.started. */
async function matchedPair(server: TestServer, a: string, b: string, mode = "arena"): Promise<{ clients: GameClient[]; matchId: string }> {
  const clients = await players(server, a, b);
  for (const client of clients) await client.request("matchmaker.add", { mode, properties: {} });
  const matchId = (await clients[0]!.expect("matchmaker.matched")).payload.match_id as string;
  for (const client of clients) expect((await client.request("match.join", { match_id: matchId })).type).toBe("match.join");
  for (const client of clients) await client.expect("match.started");
  return { clients, matchId };
}

describe("matchmaker", () => {
  it("matches by the mode's rules: a skill window that widens while tickets wait; a removed ticket is never matched", async () => {
    const server = await startGame({
      matches: example.matches,
      modes: { ranked: { size: 2, match: "arena", rules: [within("skill", { window: 50, widenPerSecond: 2000 })], recheckMs: 20 } },
    });
    const [ada, bob, cy] = await players(server, "ada", "bob", "cy");
    const removed = await cy.request("matchmaker.add", { mode: "ranked", properties: { skill: 1000 } });
    expect(await cy.request("matchmaker.remove", { ticket_id: removed.payload.ticket_id })).toEqual({
      cid: expect.any(String),
      type: "matchmaker.remove",
      payload: { ticket_id: removed.payload.ticket_id },
    });
    const added = Date.now();
    await ada.request("matchmaker.add", { mode: "ranked", properties: { skill: 1000 } });
    await bob.request("matchmaker.add", { mode: "ranked", properties: { skill: 1400 } });
    // 400 apart: outside the first window (50), inside it after ~175 ms of waiting (50 + 2000/s).
    const matched = await ada.expect("matchmaker.matched");
    expect(Date.now() - added).toBeGreaterThanOrEqual(150);
    expect([...matched.payload.players].sort()).toEqual(["ada", "bob"]);
    expect(matched.payload.match_id).toMatch(/\.arena$/);
    expect((await bob.expect("matchmaker.matched")).payload.match_id).toBe(matched.payload.match_id);
    expect(cy.received.filter((m) => m.type === "matchmaker.matched")).toEqual([]);
    expect(await cy.request("matchmaker.remove", { ticket_id: removed.payload.ticket_id })).toMatchObject({ type: "error" });
  });
});

describe("matches", () => {
  it("inputs are applied in arrival order at the tick; a MatchError answers the sender with its cid", async () => {
    const order = defineMatch<{ log: string[] }>({
      tickRate: 5,
      init: () => ({ log: [] }),
      onInput(state, { player, payload }) {
        if (typeof payload.n !== "number") throw new MatchError("n must be a number");
        state.log.push(`${player}:${payload.n}`);
      },
    });
    const server = await startGame({ matches: { order } });
    const [ada, bob] = await players(server, "ada", "bob");
    await ada.request("match.join", { match_id: "room1.order" });
    await ada.expect("match.started");
    await bob.request("match.join", { match_id: "room1.order" });
    await bob.expect("match.started");
    // Applied at the ticks (five a second), in the order they arrived: a sender's inputs in the order it sent them.
    for (let n = 1; n <= 5; n++) ada.send("match.input", { n });
    bob.send("match.input", { n: 10 });
    const bad = await bob.request("match.input", { n: "x" });
    expect(bad).toMatchObject({ type: "error", payload: { reason: "n must be a number" } });
    const state = await ada.expect("match.state", (p) => p.log.length === 6);
    expect(state.payload.log.filter((entry: string) => entry.startsWith("ada:"))).toEqual(["ada:1", "ada:2", "ada:3", "ada:4", "ada:5"]);
    expect(state.payload.log).toContain("bob:10");
    // Nothing is applied between ticks: every state before showed a prefix of this log.
    for (const earlier of ada.received.filter((m) => m.type === "match.state"))
      expect(state.payload.log.slice(0, earlier.payload.log.length)).toEqual(earlier.payload.log);
  });

  it("a player who reconnects within the window is still in the match: same position, state goes on, no leave", async () => {
    const server = await startGame({ ...example, limits: { reconnectWindowMs: 10_000 } });
    const { clients, matchId } = await matchedPair(server, "ada", "bob");
    const [ada, bob] = clients as [GameClient, GameClient];
    ada.send("match.input", { action: "move", x: 4, y: 2 });
    await bob.expect("match.state", (p) => p.players.ada?.x === 4);
    ada.client.ws.terminate();
    await ada.client.closed;

    const back = gameClient(server);
    await back.connect("ada");
    expect(await back.request("match.join", { match_id: matchId })).toMatchObject({ type: "match.join", payload: { match_id: matchId } });
    expect((await back.expect("match.started")).payload).toEqual({ match_id: matchId, players: ["ada", "bob"] });
    const state = await back.expect("match.state");
    expect(state.payload.players).toEqual({ ada: { x: 4, y: 2 }, bob: { x: 0, y: 0 } });
    back.send("match.input", { action: "move", x: 5, y: 2 });
    await bob.expect("match.state", (p) => p.players.ada?.x === 5);
    expect(bob.received.some((m) => m.type === "match.state" && m.payload.players.ada === undefined)).toBe(false);
  });

  it("after the reconnect window the player leaves the match (onLeave)", async () => {
    const server = await startGame({ ...example, limits: { reconnectWindowMs: 50 } });
    const { clients } = await matchedPair(server, "ada", "bob");
    const [ada, bob] = clients as [GameClient, GameClient];
    ada.client.ws.terminate();
    const state = await bob.expect("match.state", (p) => p.players.ada === undefined);
    expect(state.payload.players).toEqual({ bob: { x: 0, y: 0 } });
  });

  it("a vote closes on time across a restart: its alarm fires on the new server, with the casts made before", async () => {
    const server = await startGame({ ...example, server: { storage: "leveldb" } });
    const { clients, matchId } = await matchedPair(server, "ada", "bob");
    const [ada, bob] = clients as [GameClient, GameClient];
    // The vote opens after this send, so its window closes no earlier than this (time_remaining_ms is counted from the
    // server's send, and the reader may get it late on a loaded machine).
    const closesAt = Date.now() + 1500;
    ada.send("match.input", { action: "call_vote", options: OPTIONS, method: "plurality", window_ms: 1500, visibility: "hidden", veto_enabled: false });
    const start = await bob.expect("match.vote_start");
    await ada.request("vote.cast", { vote_id: start.payload.vote_id, option_id: "volcano" });
    await bob.request("vote.cast", { vote_id: start.payload.vote_id, option_id: "volcano" });
    expect(ada.received.filter((m) => m.type === "match.vote_tally")).toEqual([]); // hidden

    const restarted = await server.restart();
    const [ada2, bob2] = await players(restarted, "ada", "bob");
    for (const client of [ada2, bob2]) await client.request("match.join", { match_id: matchId });
    // A joiner learns of the open vote.
    expect((await ada2.expect("match.vote_start")).payload.vote_id).toBe(start.payload.vote_id);
    const result = await bob2.expect("match.vote_result");
    expect(Date.now()).toBeGreaterThanOrEqual(closesAt - 5);
    expect(result.payload).toEqual({
      vote_id: start.payload.vote_id,
      winner: "volcano",
      counts: { jungle: 0, volcano: 2 },
      distribution: { jungle: 0, volcano: 1 },
      total_votes: 2,
      turnout: 1,
    });
  });
});

describe("notifications from a match", () => {
  it("ctx.notify reaches a player live, or on its next connect", async () => {
    const inviting = defineMatch({
      tickRate: 10,
      init: () => ({}),
      onInput(_state, { player, payload }, ctx) {
        void ctx.notify(payload.to as string, { type: "match_invite", subject: "Join my match", content: { from_player_id: player, match_id: ctx.matchId } });
      },
    });
    const server = await startGame({ matches: { inviting } });
    const [ada, bob] = await players(server, "ada", "bob");
    await ada.request("match.join", { match_id: "i.inviting" });
    await ada.expect("match.started");
    ada.send("match.input", { to: "bob" });
    ada.send("match.input", { to: "cy" });
    expect((await bob.expect("notification.new")).payload).toEqual({
      id: expect.any(String),
      type: "match_invite",
      subject: "Join my match",
      content: { from_player_id: "ada", match_id: "i.inviting" },
    });
    const [cy] = await players(server, "cy");
    expect((await cy.expect("notification.new")).payload).toMatchObject({ type: "match_invite", content: { from_player_id: "ada" } });
  });
});

describe("joining", () => {
  it("a matched match whose players do not all come starts startTimeoutMs after its first join, with those who did", async () => {
    const duel = defineMatch({ tickRate: 20, startTimeoutMs: 300, init: () => ({}) });
    const server = await startGame({ matches: { duel }, modes: { duel: { size: 2, match: "duel" } } });
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada, bob]) await client.request("matchmaker.add", { mode: "duel" });
    const matchId = (await ada.expect("matchmaker.matched")).payload.match_id;
    const joined = Date.now();
    await ada.request("match.join", { match_id: matchId }); // bob never comes
    expect((await ada.expect("match.started")).payload).toEqual({ match_id: matchId, players: ["ada"] });
    expect(Date.now() - joined).toBeGreaterThanOrEqual(250);
  });

  it("a MatchError from init or onJoin refuses the join with its reason (and the cid); the match may be joined once it allows", async () => {
    let open = false;
    const gated = defineMatch({
      tickRate: 10,
      maxPlayers: 1,
      init: () => ({}),
      onJoin() {
        if (!open) throw new MatchError("the lobby is locked");
      },
    });
    const server = await startGame({ matches: { gated } });
    const [ada, bob] = await players(server, "ada", "bob");
    expect(await ada.request("match.join", { match_id: "g.gated" })).toMatchObject({ type: "error", payload: { reason: "the lobby is locked" } });
    open = true;
    expect((await ada.request("match.join", { match_id: "g.gated" })).type).toBe("match.join");
    expect(await bob.request("match.join", { match_id: "g.gated" })).toMatchObject({
      type: "error",
      payload: { reason: expect.stringMatching(/is full \(1 clients\)/) },
    });
  });
});
