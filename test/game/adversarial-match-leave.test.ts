/**
 * Adversarial match checks (helper 50): "Every request is answered" (docs/game.md, Wire format). A `vote.cast` sent
 * right before `match.leave` is counted by the match (the others see it in the live tally), so its sender is
 * answered too, with `vote.cast` or an `error` carrying its cid — not left to time out. Likewise the frames a
 * client sends right behind a `match.join` that the match then refuses: a `vote.cast` is a request, and a
 * `match.input` that is not applied is refused ("answered only when refused").
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch, MatchError } from "../../src/game/index.js";
import example from "../../examples/game/game.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "jungle", label: "Jungle Path" },
  { id: "volcano", label: "Volcano Path" },
];

describe("vote.cast then match.leave at once", () => {
  it("the cast is answered", async () => {
    const server = await startGame(example);
    const [ada, bob] = await players(server, "ada", "bob");
    await ada.request("match.join", { match_id: "cast.arena" });
    await bob.request("match.join", { match_id: "cast.arena" });
    await ada.expect("match.started");
    bob.send("match.input", { action: "call_vote", options: OPTIONS, method: "plurality", window_ms: 10_000, visibility: "live" });
    const { vote_id } = (await ada.expect("match.vote_start")).payload;

    ada.send("vote.cast", { vote_id, option_id: "jungle" }, "cast");
    ada.send("match.leave", {}, "leave");
    expect((await bob.expect("match.vote_tally")).payload).toMatchObject({ vote_id, total_votes: 1 }); // the ballot counted
    expect(await ada.until("the answer to match.leave", (message) => message.cid === "leave")).toMatchObject({ type: "match.leave" });
    const answer = await ada.until("an answer to the vote.cast", (message) => message.cid === "cast", 2_000);
    expect(["vote.cast", "error"]).toContain(answer.type);
  });
});

describe("frames right behind a match.join that is refused", () => {
  it("a vote.cast and a match.input sent at once behind it are answered with an error carrying their cid", async () => {
    const closed = defineMatch({
      tickRate: 20,
      init: () => ({}),
      onJoin(_state, player) {
        if (player === "bob") throw new MatchError("bob is banned from this match");
      },
    });
    const server = await startGame({ matches: { closed } });
    const [bob] = await players(server, "bob");
    bob.send("match.join", { match_id: "ban.closed" }, "join");
    bob.send("vote.cast", { vote_id: "v1", option_id: "a" }, "cast");
    bob.send("match.input", { action: "move" }, "input");
    expect(await bob.until("the answer to match.join", (message) => message.cid === "join")).toEqual({
      cid: "join",
      type: "error",
      payload: { code: 5, reason: "bob is banned from this match" },
    });
    expect(await bob.until("an answer to the vote.cast", (message) => message.cid === "cast", 2_000)).toMatchObject({ type: "error" });
    expect(await bob.until("an answer to the refused match.input", (message) => message.cid === "input", 2_000)).toMatchObject({ type: "error" });
  });
});

describe("a match.input then a match.leave at once", () => {
  it("the input is not applied after the player left (onLeave ran): no ghost of the player in the state", async () => {
    const server = await startGame(example);
    const [ada, bob] = await players(server, "ada", "bob");
    await ada.request("match.join", { match_id: "ghost.arena" });
    await bob.request("match.join", { match_id: "ghost.arena" });
    await ada.expect("match.started");
    ada.send("match.input", { action: "move", x: 9, y: 9 }); // queued for the next tick
    ada.send("match.leave", {}, "leave"); // "gives the seat up at once": the example's onLeave deletes ada
    expect(await ada.until("the answer to match.leave", (message) => message.cid === "leave")).toMatchObject({ type: "match.leave" });
    // A few ticks later the state is bob's alone.
    const first = (await bob.expect("match.state")).payload.tick as number;
    const later = await bob.expect("match.state", (payload) => payload.tick >= first + 3);
    expect(Object.keys(later.payload.players)).toEqual(["bob"]);
  });
});
