/** A finished match is forgotten (RoomApi.dispose) with everything it stored, votes too. */
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { connect } from "../../game-client/index.js";
import { cleanupAll, pollUntil, type TestServer } from "../helpers/server.js";
import { defineMatch } from "../../src/game/index.js";
import { STATE_KEY } from "../../src/rooms/room-party.js";
import { gameClient, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "end", label: "End it" },
  { id: "on", label: "Play on" },
];

/** Polls the room's storage (each read awaited) until `done` says so. */
function storageUntil(server: TestServer, name: string, done: (keys: string[]) => boolean, what: string): Promise<string[]> {
  const kv = server.server.storage.kv(name);
  return pollUntil(what, async () => {
    const keys = [...(await kv.list()).keys()];
    return done(keys) ? keys : undefined;
  });
}

/** Counts its inputs; one with `end: true` finishes it, its sender the winner. */
const ender = defineMatch<{ moves: number }>({
  tickRate: 20,
  init: () => ({ moves: 0 }),
  onInput: (state, input, ctx) => {
    state.moves++;
    if (input.payload.end === true) ctx.finish({ winner: input.player });
  },
});

describe("a finished match forgotten", () => {
  it("is forgotten once its players left: its stored state and votes are deleted, and its id starts a new match", async () => {
    const server = await startGame({ matches: { ender }, server: { storage: "leveldb" } });
    const stored = server.server.storage.kv("game-match.ender/m1.ender");
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada, bob]) expect((await client.request("match.join", { match_id: "m1.ender" })).type).toBe("match.join");
    await ada.expect("match.started");
    ada.send("match.input", { end: true });
    expect((await bob.expect("match.finished")).payload).toEqual({ match_id: "m1.ender", result: { winner: "ada" } });
    expect((await stored.list()).size).toBeGreaterThan(0); // kept while its players are in (a reconnect sees the result)
    await ada.request("match.leave");
    await bob.request("match.leave");
    // Before: kept for good, one record per match ever played.
    await storageUntil(server, "game-match.ender/m1.ender", (keys) => keys.length === 0, "the finished match's storage to be deleted");
    // Its id now starts a new match, which takes inputs.
    const before = ada.received.length;
    const fresh = (_: unknown, message: { type: string }) => ada.received.indexOf(message as never) >= before;
    expect((await ada.request("match.join", { match_id: "m1.ender" })).type).toBe("match.join");
    await ada.expect("match.started", fresh);
    expect((await ada.expect("match.state", fresh)).payload).toEqual({ moves: 0 });
    ada.send("match.input", {});
    await ada.expect("match.state", (state, message) => fresh(state, message) && state.moves === 1);
  });
  it("a vote that finishes the match while nobody is in it leaves nothing behind: the id's next match starts its votes at v1", async () => {
    // A vote to end the match: its result finishes it (ctx.finish from onVoteResult, run by the room's alarm).
    const decider = defineMatch<{ votes: number }>({
      tickRate: 20,
      init: () => ({ votes: 0 }),
      onInput: (state, input, ctx) => {
        if (input.payload.vote !== true) return;
        state.votes++;
        ctx.startVote({ options: OPTIONS, window_ms: 150 });
        if (input.payload.long === true) ctx.startVote({ options: OPTIONS, window_ms: 60_000 });
      },
      onVoteResult: (_state, _result, ctx) => ctx.finish({ ended_by: "vote" }),
    });
    const server = await startGame({ matches: { decider } });
    const name = "game-match.decider/m1.decider";
    const [ada] = await players(server, "ada");
    expect((await ada.request("match.join", { match_id: "m1.decider" })).type).toBe("match.join");
    await ada.expect("match.started");
    ada.send("match.input", { vote: true, long: true });
    expect((await ada.expect("match.vote_start")).payload.vote_id).toBe("v1");
    expect((await ada.expect("match.vote_start")).payload.vote_id).toBe("v2");
    await ada.request("match.leave"); // nobody in: the vote's alarm closes it, and its result finishes the match
    await storageUntil(server, name, (keys) => !keys.includes(STATE_KEY), "the finished match to be discarded");
    // Before: the vote book wrote the closed vote and its counters after the discard's deleteAll (vote-book.ts
    // closeDue → #write, then #arm re-set the alarm for v2): the finished match's votes were stored again.
    const before = ada.received.length;
    expect((await ada.request("match.join", { match_id: "m1.decider" })).type).toBe("match.join");
    await ada.expect("match.started", (_p, message) => ada.received.indexOf(message) >= before);
    ada.send("match.input", { vote: true });
    const fresh = await ada.expect("match.vote_start", (_p, message) => ada.received.indexOf(message) >= before);
    expect(fresh.payload.vote_id).toBe("v1"); // was "v3": the new match counted the old one's votes
  });
  it("a player back within reconnectWindowMs is told the match finished while it was away", async () => {
    const server = await startGame({ matches: { ender }, limits: { reconnectWindowMs: 10_000 } });
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada, bob]) expect((await client.request("match.join", { match_id: "m2.ender" })).type).toBe("match.join");
    await ada.expect("match.started");
    await bob.expect("match.started");
    await ada.client.close(); // ada's seat is kept for the reconnect window
    bob.send("match.input", { end: true });
    await bob.expect("match.finished");
    await bob.request("match.leave");
    const back = gameClient(server);
    await back.connect("ada");
    expect((await back.request("match.join", { match_id: "m2.ender" })).type).toBe("match.join");
    // Before: match.join and match.started again (match-seat.ts joinedAgain), never match.finished: ada's client
    // waited for a match that was over (its inputs got errors that said so, which do not count as bad frames).
    expect((await back.expect("match.finished")).payload).toEqual({ match_id: "m2.ender", result: { winner: "bob" } });
  });
  it("with yparty/game-client, a finished match is left: the next match.join works and the finished one is forgotten", async () => {
    const server = await startGame({ matches: { ender } });
    const ada = await connect(server.wsUrl("/ws"), { token: "dev:ada", requestTimeoutMs: 3_000, WebSocket: WebSocket as never });
    try {
      await ada.match.join("m3.ender");
      await ada.next("match.started");
      ada.match.input({ end: true });
      await ada.next("match.finished");
      expect(ada.matchId).toBeUndefined(); // the client is done with it, and leaves it
      // Before: its session still sat in it: GameRequestError 'in match "m3.ender" already: leave it first
      // (match.leave)', and the finished match's storage kept as long as ada stayed online.
      await expect(ada.match.join("m4.ender")).resolves.toMatchObject({ match_id: "m4.ender" });
      await storageUntil(server, "game-match.ender/m3.ender", (keys) => keys.length === 0, "the finished match to be forgotten");
    } finally {
      ada.close();
    }
  });

  it("sends no match.state after match.finished, not even in the tick that finished it", async () => {
    const server = await startGame({ matches: { ender } });
    const [ada] = await players(server, "ada");
    expect((await ada.request("match.join", { match_id: "m6.ender" })).type).toBe("match.join");
    await ada.expect("match.started");
    ada.send("match.input", { end: true });
    const finished = await ada.expect("match.finished");
    await ada.request("session.heartbeat"); // anything the finishing tick sent came before this answer
    // Before: the tick that applied the finishing input still ran onTick and sent match.state after match.finished.
    expect(ada.received.slice(ada.received.indexOf(finished)).filter((message) => message.type === "match.state")).toEqual([]);
  });

  it("a match.leave and a match.join of the same id at once start a new match (a play-again on the same id)", async () => {
    const server = await startGame({ matches: { ender } });
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada, bob]) await client.request("match.join", { match_id: "m5.ender" });
    await ada.expect("match.started");
    ada.send("match.input", { end: true });
    await bob.expect("match.finished");
    await bob.request("match.leave");
    const before = ada.received.length;
    const fresh = (_: unknown, message: { type: string }) => ada.received.indexOf(message as never) >= before;
    const left = ada.request("match.leave");
    const joined = ada.request("match.join", { match_id: "m5.ender" });
    expect((await left).type).toBe("match.leave");
    expect((await joined).type).toBe("match.join");
    // Before: the room took the join for the same player again (its close not handled yet): no onJoin, no new match
    // (the finished one kept), no match.started; the old link's close was then ignored. The play-again hung.
    expect((await ada.expect("match.started", fresh)).payload).toEqual({ match_id: "m5.ender", players: ["ada"] });
    expect((await ada.expect("match.state", fresh)).payload).toEqual({ moves: 0 });
  });
});
