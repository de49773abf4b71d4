/**
 * Player ids are any strings a verifier gives, Object.prototype's names too (`__proto__`, `constructor`, `valueOf`):
 * ballots, vetoes, friends and the example's state are keyed by them. And the player ids the REST API cannot name
 * ("." and "..", control characters) are refused with 400.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, type TestServer } from "../helpers/server.js";
import { defineMatch, type VoteSpec } from "../../src/game/index.js";
import { newVote, voteResult } from "../../src/game/votes.js";
import example from "../../examples/game/game.js";
import { gameClient, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "a", label: "A" },
  { id: "b", label: "B" },
];

function api(server: TestServer, path: string, player: string, init: RequestInit = {}): Promise<Response> {
  return fetch(server.url + path, { ...init, headers: { authorization: `Bearer dev:${player}` } });
}

describe("players named as Object.prototype's properties", () => {
  it("__proto__'s ballot counts and its veto uses its one token", async () => {
    // A match whose state is not keyed by player (a room's state holds no "__proto__" key), any token a player id.
    const voting = defineMatch({
      tickRate: 20,
      vetoTokensPerPlayer: 1,
      init: () => ({}),
      onInput: (_state, { payload }, ctx) => void ctx.startVote(payload as unknown as VoteSpec),
    });
    const server = await startGame({ matches: { voting } });
    const [proto, ctor] = await players(server, "__proto__", "constructor");
    for (const client of [proto, ctor]) await client.request("match.join", { match_id: "names.voting" });
    await ctor.expect("match.started");
    proto.send("match.input", { options: OPTIONS, window_ms: 300, visibility: "live" });
    const vote = (await ctor.expect("match.vote_start")).payload.vote_id as string;
    expect((await proto.request("vote.cast", { vote_id: vote, option_id: "b" })).type).toBe("vote.cast");
    expect((await ctor.expect("match.vote_tally")).payload).toMatchObject({ tallies: { a: 0, b: 1 }, total_votes: 1 });
    expect((await ctor.expect("match.vote_result")).payload).toMatchObject({ winner: "b", total_votes: 1, turnout: 0.5 });

    for (let i = 0; i < 2; i++) proto.send("match.input", { options: OPTIONS, window_ms: 60_000, veto_enabled: true });
    const first = (await ctor.expect("match.vote_start", (p) => p.vote_id !== vote)).payload.vote_id as string;
    const second = (await ctor.expect("match.vote_start", (p) => p.vote_id !== vote && p.vote_id !== first)).payload.vote_id as string;
    expect((await proto.request("vote.veto", { vote_id: first })).payload).toEqual({ vote_id: first, veto_tokens_left: 0 });
    expect((await proto.request("vote.veto", { vote_id: second })).payload.reason).toMatch(/no veto tokens left \(1 per player/);
  });

  it("the example keeps constructor in its state, and refuses the id __proto__ (its state is keyed by player)", async () => {
    const server = await startGame(example);
    const [ctor, ada] = await players(server, "constructor", "ada");
    for (const client of [ctor, ada]) await client.request("match.join", { match_id: "names.arena" });
    ctor.send("match.input", { action: "move", x: 5, y: 6 });
    const state = await ada.expect("match.state", (p) => Object.hasOwn(p.players, "constructor") && p.players.constructor.x === 5);
    expect(state.payload.players).toEqual({ constructor: { x: 5, y: 6 }, ada: { x: 0, y: 0 } });
    const proto = gameClient(server);
    expect((await proto.request("session.connect", { token: "dev:__proto__" })).payload.reason).toBe("the token was refused");
    expect((await proto.client.closed).code).toBe(4401);
  });

  it("a weighted vote weighs constructor by its weights entry, or 1", () => {
    const record = newVote("v1", { options: OPTIONS, method: "weighted", window_ms: 10, weights: { ada: 2 } }, ["constructor", "ada"], 0);
    record.ballots.set("constructor", ["a"]);
    expect(voteResult(record)).toMatchObject({ counts: { a: 1, b: 0 }, winner: "a" });
  });

  it("valueOf, constructor and __proto__ inviting a player send it a friend_request; they are listed as friends", async () => {
    const server = await startGame({ matches: { plain: defineMatch({ tickRate: 10, init: () => ({}) }) } });
    for (const inviter of ["valueOf", "constructor", "__proto__"]) {
      const answer = await api(server, "/api/friends", inviter, { method: "POST", body: JSON.stringify({ player_id: "wen" }) });
      expect(await answer.json()).toEqual({ player_id: "wen", state: "invite_sent" });
    }
    const { notifications } = (await (await api(server, "/api/notifications", "wen")).json()) as {
      notifications: Array<{ content: { from_player_id: string } }>;
    };
    expect(notifications.map((n) => n.content.from_player_id)).toEqual(["valueOf", "constructor", "__proto__"]);
    await api(server, "/api/friends", "wen", { method: "POST", body: JSON.stringify({ player_id: "valueOf" }) });
    const { friends } = (await (await api(server, "/api/friends", "wen")).json()) as { friends: Array<{ player_id: string; state: string }> };
    expect(friends.map(({ player_id, state }) => [player_id, state])).toEqual([
      ["valueOf", "friend"],
      ["constructor", "invite_received"],
      ["__proto__", "invite_received"],
    ]);
  });
});

describe("player ids the REST API cannot name", () => {
  it('"." and ".." and control characters in player_id, and a caller named "." or "..", are refused with 400', async () => {
    // The default (development) verifier: any token is its player id.
    const server = await startGame({ matches: { plain: defineMatch({ tickRate: 10, init: () => ({}) }) } });
    for (const id of [".", "..", "a\u0000b", "tab\there"]) {
      const answer = await api(server, "/api/friends", "ada", { method: "POST", body: JSON.stringify({ player_id: id }) });
      expect(answer.status, JSON.stringify(id)).toBe(400);
      expect(((await answer.json()) as { error: { code: string; message: string } }).error).toEqual({
        code: "ERR_BAD_REQUEST",
        message: expect.stringMatching(/is not a player id the REST API can name|a player id has no control characters/),
      });
    }
    for (const caller of [".", ".."]) {
      const answer = await api(server, "/api/notifications", caller);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error: { message: string } }).error.message).toBe(`"${caller}" is not a player id the REST API can name`);
    }
    // Ids that only look like paths are names like any other.
    for (const id of ["a/b", "%2e%2e", "a?b"]) {
      const answer = await api(server, "/api/friends", "ada", { method: "POST", body: JSON.stringify({ player_id: id }) });
      expect(await answer.json()).toEqual({ player_id: id, state: "invite_sent" });
    }
  });
});
