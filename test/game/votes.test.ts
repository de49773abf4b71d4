/** Vote counting: every method, the documented tie-breaking, and approval and ranked ballots over the socket. */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { newVote, voteResult, type VoteRecord } from "../../src/game/votes.js";
import { VoteBook } from "../../src/game/vote-book.js";
import type { Storage } from "../../src/runtime/index.js";
import example from "../../examples/game/game.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "a", label: "A" },
  { id: "b", label: "B" },
  { id: "c", label: "C" },
];

function vote(method: string, ballots: Record<string, string[]>, extra: Record<string, unknown> = {}, eligible = ["p1", "p2", "p3", "p4", "p5"]): VoteRecord {
  const record = newVote("v1", { options: OPTIONS, method, window_ms: 1000, ...extra }, eligible, 0);
  record.ballots = new Map(Object.entries(ballots));
  return record;
}

describe("vote results", () => {
  it("plurality: most votes wins; a tie goes to the option listed first; no ballot has no winner", () => {
    expect(voteResult(vote("plurality", { p1: ["b"], p2: ["b"], p3: ["c"] }))).toMatchObject({
      winner: "b",
      counts: { a: 0, b: 2, c: 1 },
      total_votes: 3,
      turnout: 0.6,
    });
    expect(voteResult(vote("plurality", { p1: ["c"], p2: ["b"] })).winner).toBe("b");
    expect(voteResult(vote("plurality", {}))).toEqual({
      vote_id: "v1",
      winner: null,
      counts: { a: 0, b: 0, c: 0 },
      distribution: { a: 0, b: 0, c: 0 },
      total_votes: 0,
      turnout: 0,
    });
  });

  it("approval: every approved option counts; distribution is the share of all approvals", () => {
    const result = voteResult(vote("approval", { p1: ["a", "b"], p2: ["b"], p3: ["b", "c"], p4: ["c"] }));
    expect(result).toMatchObject({ winner: "b", counts: { a: 1, b: 3, c: 2 }, distribution: { a: 0.166, b: 0.5, c: 0.333 }, total_votes: 4, turnout: 0.8 });
  });

  it('an option id "__proto__" is refused (option ids are keys of counts, tallies and distribution)', () => {
    expect(() => newVote("v1", { options: [...OPTIONS, { id: "__proto__", label: "P" }], window_ms: 10 }, [], 0)).toThrow(/not "__proto__"/);
  });

  it("weighted: each ballot counts its player's weight (default 1)", () => {
    const result = voteResult(vote("weighted", { p1: ["a"], p2: ["b"], p3: ["b"] }, { weights: { p1: 3 } }));
    expect(result).toMatchObject({ winner: "a", counts: { a: 3, b: 2, c: 0 }, total_votes: 3 });
  });

  it("ranked: instant runoff moves the eliminated option's ballots to their next preference", () => {
    // First preferences a 2, b 2, c 1: c goes, its ballot prefers b next: b 3 of 5.
    const result = voteResult(vote("ranked", { p1: ["a"], p2: ["a", "b"], p3: ["b", "a"], p4: ["b"], p5: ["c", "b"] }));
    expect(result).toMatchObject({ winner: "b", counts: { a: 2, b: 3, c: 0 }, total_votes: 5, turnout: 1 });
    // A tie for fewest eliminates the option listed last (c, not b); c's ballot is then exhausted: a has 2 of 3.
    expect(voteResult(vote("ranked", { p1: ["a"], p2: ["a"], p3: ["b"], p4: ["c"] })).winner).toBe("a");
  });
});

describe("votes over the socket", () => {
  it("approval ballots are lists, ranked ballots are preference orders; a recast replaces", async () => {
    const server = await startGame(example);
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada, bob]) await client.request("match.join", { match_id: "v.arena" });
    ada.send("match.input", { action: "call_vote", options: OPTIONS, method: "approval", window_ms: 300, visibility: "live" });
    const approval = (await bob.expect("match.vote_start")).payload;
    expect(approval).toMatchObject({ method: "approval", window_ms: 300 });
    await ada.request("vote.cast", { vote_id: approval.vote_id, option_id: ["a", "c"] });
    await bob.request("vote.cast", { vote_id: approval.vote_id, option_id: ["a"] });
    await bob.request("vote.cast", { vote_id: approval.vote_id, option_id: ["c", "b"] });
    expect((await ada.expect("match.vote_tally", (p) => p.tallies.b === 1)).payload.tallies).toEqual({ a: 1, b: 1, c: 2 });
    expect((await ada.expect("match.vote_result")).payload).toMatchObject({ winner: "c", counts: { a: 1, b: 1, c: 2 }, total_votes: 2, turnout: 1 });

    ada.send("match.input", { action: "call_vote", options: OPTIONS, method: "ranked", window_ms: 300 });
    const ranked = (await bob.expect("match.vote_start", (p) => p.vote_id !== approval.vote_id)).payload;
    await ada.request("vote.cast", { vote_id: ranked.vote_id, option_id: ["b", "a"] });
    await bob.request("vote.cast", { vote_id: ranked.vote_id, option_id: ["c", "b"] });
    // b 1, c 1 at first: a (0) goes, then c (tied with b, listed last) goes: b wins with both ballots.
    expect((await bob.expect("match.vote_result", (p) => p.vote_id === ranked.vote_id)).payload).toMatchObject({ winner: "b", counts: { a: 0, b: 2, c: 0 } });
  });
});

describe("open votes are bounded", () => {
  it("one player's flood of call_vote inputs is refused past the caps; other matches keep ticking", async () => {
    const server = await startGame({ ...example, limits: { maxProtocolErrors: 100_000, maxOpenVotes: 6 } });
    const [ada, bob, cy] = await players(server, "ada", "bob", "cy");
    for (const client of [ada, bob]) await client.request("match.join", { match_id: "flood.arena" });
    await cy.request("match.join", { match_id: "calm.arena" });
    await ada.expect("match.started");
    const before = (await cy.expect("match.state")).payload.tick as number;

    // 2,000 tiny votes, each open a day: every start used to rewrite the whole book and re-arm over every open vote.
    const call = { action: "call_vote", options: OPTIONS, window_ms: 86_400_000 };
    const ticking = cy.expect("match.state", (p) => p.tick >= before + 10);
    for (let i = 0; i < 2000; i++) ada.send("match.input", call, `f${i}`);
    const reasons: string[] = [];
    for (let i = 0; i < 1996; i++) reasons.push((await ada.expect("error")).payload.reason as string);
    await ticking;
    expect(reasons.every((reason) => /maxOpenVotesPerPlayer|maxInputsPerTick/.test(reason))).toBe(true);
    expect(reasons).toContain('vote: 4 votes started by "ada" are open already (maxOpenVotesPerPlayer): wait for one to close');
    expect(reasons).toContain("too many inputs: at most 32 per player per tick (maxInputsPerTick)");

    // Another player may still start votes, up to the match's cap.
    for (let i = 0; i < 2; i++) bob.send("match.input", call);
    expect((await bob.request("match.input", call)).payload.reason).toBe("vote: 6 votes are open in this match already (maxOpenVotes): wait for one to close");
    // What the match holds: a joiner gets every open vote, and there are 6.
    const [dan] = await players(server, "dan");
    await dan.request("match.join", { match_id: "flood.arena" });
    await dan.expect("match.started");
    await dan.expect("match.state");
    expect(dan.received.filter((m) => m.type === "match.vote_start").map((m) => m.payload.vote_id)).toEqual(["v1", "v2", "v3", "v4", "v5", "v6"]);
    await ada.expect("match.vote_start", (p) => p.vote_id === "v6");
    expect(ada.received.filter((m) => m.type === "match.vote_start")).toHaveLength(6);
  });

  it("a vetoed or closed vote frees its place; another may start then", async () => {
    const server = await startGame({ ...example, limits: { maxOpenVotesPerPlayer: 1 } });
    const [ada, bob] = await players(server, "ada", "bob");
    for (const client of [ada, bob]) await client.request("match.join", { match_id: "free.arena" });
    ada.send("match.input", { action: "call_vote", options: OPTIONS, window_ms: 60_000, veto_enabled: true });
    const first = (await bob.expect("match.vote_start")).payload.vote_id as string;
    expect((await ada.request("match.input", { action: "call_vote", options: OPTIONS, window_ms: 200 })).payload.reason).toMatch(/maxOpenVotesPerPlayer/);
    await bob.request("vote.veto", { vote_id: first });
    ada.send("match.input", { action: "call_vote", options: OPTIONS, window_ms: 200 });
    const second = (await bob.expect("match.vote_start")).payload.vote_id as string;
    await bob.request("vote.cast", { vote_id: second, option_id: "b" });
    expect((await ada.expect("match.vote_result")).payload).toMatchObject({ vote_id: second, winner: "b" });
    ada.send("match.input", { action: "call_vote", options: OPTIONS, window_ms: 200 });
    expect((await bob.expect("match.vote_start")).payload.vote_id).toBe("v3");
  });
});

/** The storage calls a vote book makes, over a Map (values cloned as a real storage does). */
function mapStorage(entries: Map<string, unknown>, alarms: Array<number | null>): Storage {
  const storage = {
    get: async (key: string) => structuredClone(entries.get(key)),
    list: async ({ prefix = "" } = {}) => new Map([...entries].filter(([key]) => key.startsWith(prefix)).map(([k, v]) => [k, structuredClone(v)])),
    put: async (values: Record<string, unknown>) => {
      for (const [key, value] of Object.entries(values)) entries.set(key, structuredClone(value));
    },
    delete: async (keys: string[]) => keys.filter((key) => entries.delete(key)).length,
    setAlarm: async (at: number) => void alarms.push(at),
    deleteAlarm: async () => void alarms.push(null),
  };
  return storage as unknown as Storage;
}

describe("the vote book in storage", () => {
  it("a book stored in the earlier layout (every vote in one key) is read, and moved to a key per vote", async () => {
    const open = newVote("v2", { options: OPTIONS, window_ms: 1000 }, ["ada"], 0);
    const closed = { ...newVote("v1", { options: OPTIONS, window_ms: 10 }, ["ada"], 0), status: "closed" as const };
    const entries = new Map<string, unknown>([["game.votes", { votes: { v1: closed, v2: open }, vetoesUsed: { ada: 1 }, started: 2 }]]);
    const book = new VoteBook(mapStorage(entries, []), { maxOpen: 2, maxOpenPerPlayer: 1 });
    await book.load();
    expect(book.open().map((vote) => vote.vote_id)).toEqual(["v2"]);
    expect(book.get("v1")?.status).toBe("closed");
    expect(book.get("v2")?.ballots).toEqual(new Map());
    expect(book.vetoesUsed("ada")).toBe(1);
    expect([...entries.keys()].sort()).toEqual(["game.vote.v1", "game.vote.v2", "game.votes"]);
    expect(entries.get("game.votes")).toEqual({ vetoesUsed: new Map([["ada", 1]]), started: 2 });

    // A cast writes its vote only; a start writes the new vote and the counters.
    const written: string[] = [];
    const storage = mapStorage(entries, []);
    const put = storage.put.bind(storage) as (values: Record<string, unknown>) => Promise<void>;
    (storage as unknown as { put: unknown }).put = (key: string | Record<string, unknown>, value?: unknown) => {
      const values = typeof key === "string" ? { [key]: value } : key;
      written.push(...Object.keys(values));
      return put(values);
    };
    const reloaded = new VoteBook(storage, { maxOpen: 2, maxOpenPerPlayer: 1 });
    await reloaded.load();
    await reloaded.cast(reloaded.get("v2")!, "ada", ["a"]);
    expect(written).toEqual(["game.vote.v2"]);
    await reloaded.start({ options: OPTIONS, window_ms: 1000 }, ["ada"], 0).saved;
    expect(written.slice(1).sort()).toEqual(["game.vote.v3", "game.votes"]);
    expect(() => reloaded.start({ options: OPTIONS, window_ms: 1000 }, ["ada"], 0)).toThrow(/2 votes are open in this match already \(maxOpenVotes\)/);
  });
});
