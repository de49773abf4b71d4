/**
 * Adversarial match-logic faults (helper 50). docs/game.md: a vote's window "closes by the match room's alarm, so a
 * result comes on time"; what match logic throws (other than MatchError) "is logged as a fault". One fault of
 * `onVoteResult` must not stop the match's other votes from ever closing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch, type VoteSpec } from "../../src/game/index.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "a", label: "A" },
  { id: "b", label: "B" },
];

describe("an onVoteResult that throws once", () => {
  it("is logged, and the votes open with it still close with their results (and so does a vote started later)", async () => {
    let results = 0;
    const voting = defineMatch<Record<string, never>>({
      tickRate: 20,
      init: () => ({}),
      onInput(_state, { payload }, ctx) {
        ctx.startVote({ options: OPTIONS, method: "plurality", window_ms: payload.window_ms } as VoteSpec);
      },
      onVoteResult() {
        if (++results === 1) throw new Error("a bug in the game's onVoteResult");
      },
    });
    const server = await startGame({ matches: { voting } });
    const [ada] = await players(server, "ada");
    await ada.request("match.join", { match_id: "faulty.voting" });
    await ada.expect("match.started");
    ada.send("match.input", { window_ms: 100 });
    ada.send("match.input", { window_ms: 300 });
    expect((await ada.expect("match.vote_result")).payload.vote_id).toBe("v1"); // its onVoteResult threw
    expect(server.logs.some((entry) => entry.event === "room.hook_failed")).toBe(true);
    expect((await ada.expect("match.vote_result", undefined, 3_000)).payload.vote_id).toBe("v2");
    ada.send("match.input", { window_ms: 100 });
    expect((await ada.expect("match.vote_result", undefined, 3_000)).payload.vote_id).toBe("v3");
  });
});

describe("ctx.notify refused by the player room", () => {
  it("rejects with a MatchError that says why (the runtime's error message), not [object Object]", async () => {
    const notifying = defineMatch<Record<string, never>>({
      tickRate: 20,
      init: () => ({}),
      onInput(_state, { player }, ctx) {
        // An empty subject: the player room answers 400 {"error": {"code", "message"}}.
        ctx.notify(player, { type: "gift", subject: "" }).catch((error: Error) => ctx.send(player, "debug.notify_failed", { reason: error.message }));
      },
    });
    const server = await startGame({ matches: { notifying } });
    const [ada] = await players(server, "ada");
    await ada.request("match.join", { match_id: "gift.notifying" });
    await ada.expect("match.started");
    ada.send("match.input", {});
    const { reason } = (await ada.expect("debug.notify_failed")).payload;
    expect(reason).not.toContain("[object Object]");
    expect(reason).toMatch(/subject/);
  });
});

describe("an onInput that throws a plain Error (a fault of the game, not of the client)", () => {
  it("is logged as a fault and does not count toward maxProtocolErrors: the client is not closed 4400 (final for yparty/game-client)", async () => {
    const buggy = defineMatch<Record<string, never>>({
      tickRate: 20,
      init: () => ({}),
      onInput() {
        throw new TypeError("Cannot read properties of undefined (a bug in the game)");
      },
    });
    const server = await startGame({ matches: { buggy }, limits: { maxProtocolErrors: 3 } });
    const [ada] = await players(server, "ada");
    await ada.request("match.join", { match_id: "bug.buggy" });
    await ada.expect("match.started");
    for (let i = 0; i < 3; i++) {
      ada.send("match.input", { n: i }, `input${i}`);
      await ada.until(`the answer to input ${i}`, (message) => message.cid === `input${i}`);
    }
    expect(server.logs.some((entry) => entry.event === "room.hook_failed")).toBe(true);
    // The client did nothing wrong: its socket stays usable.
    const outcome = await Promise.race([
      ada.client.closed.then(({ code }) => `closed ${code}`),
      ada.request("session.heartbeat").then((message) => message.type),
    ]);
    expect(outcome).toBe("session.heartbeat");
  });
});
