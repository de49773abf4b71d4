/**
 * Adversarial reconnect checks (helper 50). docs/game.md: `match.vote_start` goes out when a vote starts "again to a
 * player joining while it runs"; a player back within `reconnectWindowMs` sends `match.join` again and "goes on
 * where it was" (and is told of a finish it missed). A vote that started while it was away is open and it may
 * cast in it: its `match.join` must tell it of the vote, or it never learns the vote's id and options.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, pollUntil } from "../helpers/server.js";
import { defineMatch } from "../../src/game/index.js";
import example from "../../examples/game/game.js";
import { gameClient, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const OPTIONS = [
  { id: "jungle", label: "Jungle Path" },
  { id: "volcano", label: "Volcano Path" },
];

describe("a vote that started while a player was away", () => {
  it("reaches the player as match.vote_start when it joins its match again within the reconnect window", async () => {
    const server = await startGame(example);
    const [ada, bob] = await players(server, "ada", "bob");
    await ada.request("match.join", { match_id: "away.arena" });
    await bob.request("match.join", { match_id: "away.arena" });
    await ada.expect("match.started");
    ada.client.ws.terminate(); // the seat is kept for reconnectWindowMs
    await ada.client.closed;

    bob.send("match.input", { action: "call_vote", options: OPTIONS, method: "plurality", window_ms: 10_000 });
    const started = await bob.expect("match.vote_start");

    const back = gameClient(server);
    await back.connect("ada");
    expect((await back.request("match.join", { match_id: "away.arena" })).type).toBe("match.join");
    await back.expect("match.started");
    // ada is eligible (a player of the match when the vote started): the vote is hers to cast in.
    const told = await back.expect("match.vote_start", (payload) => payload.vote_id === started.payload.vote_id, 2_000);
    expect(told.payload).toMatchObject({ vote_id: started.payload.vote_id, options: OPTIONS, method: "plurality" });
  });
});

describe("reconnectWindowMs across a restart", () => {
  it("a player who does not come back after a restart leaves the match once the window (300 ms here) is over, as without one", async () => {
    const left: string[] = [];
    const kept = defineMatch({ tickRate: 20, init: () => ({}), onLeave: (_state, player) => void left.push(player) });
    const server = await startGame({ matches: { kept }, limits: { reconnectWindowMs: 300 }, server: { storage: "leveldb" } });
    const [ada] = await players(server, "ada");
    await ada.request("match.join", { match_id: "window.kept" });
    await ada.expect("match.state");
    await server.restart(); // every session is dropped; ada never comes back
    await pollUntil("ada to leave the match (onLeave)", async () => (left.includes("ada") ? true : undefined), 3_000);
  });
});
