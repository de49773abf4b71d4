/**
 * h56 (adversarial): a game frame over maxMessageBytes closes its socket 1009. The runtime's own refusal drops what
 * the client sent after the refused frame ("its client was told to send it again"); the game socket must too, or a
 * client that sends again what got no answer duplicates it (a chat message stored twice), and a socket on its way
 * out still acts for the player (a session.connect that replaces the player's other socket).
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import example from "../../examples/game/game.js";
import { gameClient, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const tooBig = () => JSON.stringify({ type: "session.heartbeat", payload: { pad: "x".repeat(64 * 1024 + 1) } });

describe("h56 frames after a frame over maxMessageBytes", () => {
  it("a chat.send right behind the oversized frame is not stored or sent out (its sender got 1009 and no answer)", async () => {
    const server = await startGame(example);
    const [ada, bob, cy] = await players(server, "ada", "bob", "cy");
    for (const client of [ada!, bob!, cy!]) expect((await client.request("chat.join", { channel_id: "lobby" })).type).toBe("chat.join");
    ada!.client.send(tooBig());
    ada!.send("chat.send", { channel_id: "lobby", content: "behind the big frame" }, "after");
    expect((await ada!.client.closed).code).toBe(1009);
    expect(ada!.received.find((message) => message.cid === "after")).toBeUndefined(); // no answer: the client sends it again
    // A marker after it: bob has heard whatever the channel sent out before.
    expect((await cy!.request("chat.send", { channel_id: "lobby", content: "marker" })).type).toBe("chat.send");
    await bob!.expect("chat.message", (payload) => payload.content === "marker");
    const heard = bob!.received.filter((message) => message.type === "chat.message").map((message) => message.payload.content);
    expect(heard).toEqual(["marker"]);
  });

  it("a session.connect right behind an oversized frame does not replace the player's open session", async () => {
    const server = await startGame(example);
    const [ada] = await players(server, "ada");
    const early = gameClient(server);
    await early.client.opened;
    early.client.send(tooBig());
    early.send("session.connect", { token: "dev:ada" }, "connect");
    expect((await early.client.closed).code).toBe(1009);
    // The open socket of ada still works and was not closed as replaced.
    const outcome = await Promise.race([
      ada!.request("session.heartbeat").then((answer) => answer.type),
      ada!.client.closed.then(({ code, reason }) => `closed ${code} ${reason}`),
    ]);
    expect(outcome).toBe("session.heartbeat");
  });
});
