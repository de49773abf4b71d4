/** A finished match is forgotten (RoomApi.dispose) with everything it stored, votes too. */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, waitFor, type TestServer } from "../helpers/server.js";
import { defineMatch } from "../../src/game/index.js";
import { STATE_KEY } from "../../src/rooms/room-party.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "end", label: "End it" },
  { id: "on", label: "Play on" },
];

/** Polls the room's storage (each read awaited) until `done` says so. */
async function storageUntil(server: TestServer, name: string, done: (keys: string[]) => boolean, what: string): Promise<string[]> {
  const kv = server.server.storage.kv(name);
  return waitFor(
    (async () => {
      for (;;) {
        const keys = [...(await kv.list()).keys()];
        if (done(keys)) return keys;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })(),
    what,
  );
}

describe("a finished match forgotten", () => {
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
});
