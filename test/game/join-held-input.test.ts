/**
 * Helper 47: the game's side of rooms' join-held-frames.test.ts. A `match.leave`, `match.join` of the same match
 * and a `match.input` sent at once (a play-again that moves at once): the input is held by the room until the join is
 * done, and then dropped — the join waited for the close of the player's earlier connection (`#previousClosed`,
 * src/rooms/room-party.ts, which replaces the join's held frames with an empty list).
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch } from "../../src/game/index.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

/** Counts its inputs. */
const counter = defineMatch<{ moves: number }>({
  tickRate: 20,
  init: () => ({ moves: 0 }),
  onInput: (state) => {
    state.moves++;
  },
});

describe("a play-again with a move at once", () => {
  it("a match.join then a match.input at once: the move counts (the control)", async () => {
    const server = await startGame({ matches: { counter } });
    const [ada] = await players(server, "ada");
    ada.send("match.join", { match_id: "c1.counter" }, "j1");
    ada.send("match.input", { move: 1 });
    expect((await ada.until("the join's answer", (message) => message.cid === "j1")).type).toBe("match.join");
    await ada
      .expect("match.state", (payload) => payload.moves === 1)
      .catch((error: Error) => {
        throw new Error(`${error.message} ${JSON.stringify(ada.received.filter((m) => m.type !== "match.state"))}`);
      });
  });

  it("a match.leave, a match.join of the same match and a match.input at once: the move counts", async () => {
    const server = await startGame({ matches: { counter } });
    const [ada] = await players(server, "ada");
    expect((await ada.request("match.join", { match_id: "c2.counter" })).type).toBe("match.join");
    await ada.expect("match.started");
    ada.send("match.leave", {}, "l2");
    ada.send("match.join", { match_id: "c2.counter" }, "j2");
    ada.send("match.input", { move: 1 });
    expect((await ada.until("the leave's answer", (message) => message.cid === "l2")).type).toBe("match.leave");
    expect((await ada.until("the join's answer", (message) => message.cid === "j2")).type).toBe("match.join");
    // Before: moves stays 0 (the input was dropped with the join's held frames).
    await ada
      .expect("match.state", (payload) => payload.moves === 1, 2000)
      .catch((error: Error) => {
        throw new Error(`${error.message.slice(0, 60)} ${JSON.stringify(ada.received.filter((m) => m.type !== "match.state"))}`);
      });
  });
});
