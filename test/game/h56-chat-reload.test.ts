/**
 * h56 (adversarial): chat.send cut off by a reload is sent again by the session with a key; the channel dedups by it.
 * What the other members of the channel hear, and what anyone sees of the key.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { createGame } from "../../src/game/index.js";
import example from "../../examples/game/game.js";
import { chatSendAnswers, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

describe("h56 chat.send in flight when the server reloads, with another member in the channel", () => {
  it("the other member hears each message answered chat.send exactly once, and nobody sees a key", async () => {
    const SENDS = 40;
    const options = { ...example, limits: { chatMessagesPerWindow: SENDS + 1 } };
    const server = await startGame({ ...options, server: { storage: "leveldb" } });
    const [ada, bob] = await players(server, "ada", "bob");
    await ada!.request("chat.join", { channel_id: "lobby" });
    await bob!.request("chat.join", { channel_id: "lobby" });
    for (let i = 0; i < SENDS; i++) ada!.send("chat.send", { channel_id: "lobby", content: `m${i}` }, `send-${i}`);
    await ada!.expect("chat.message");
    await server.server.reload(createGame(options).parties);
    const { ok: answeredOk } = await chatSendAnswers(ada!, SENDS);
    // A marker after them all: once bob hears it, he has heard everything sent before it.
    expect((await ada!.request("chat.send", { channel_id: "lobby", content: "marker" })).type).toBe("chat.send");
    await bob!.expect("chat.message", (payload) => payload.content === "marker", 5_000);
    const heard = bob!.received.filter((message) => message.type === "chat.message" && message.payload.content !== "marker");
    for (const message of [...heard, ...ada!.received.filter((m) => m.type === "chat.message")]) expect(message.payload).not.toHaveProperty("key");
    const heardContents = heard.map((message) => message.payload.content as string);
    expect(new Set(heardContents).size).toBe(heardContents.length); // none twice
    expect(heardContents.sort()).toEqual(answeredOk.sort()); // none lost
    const [cy] = await players(server, "cy");
    const history = (await cy!.request("chat.join", { channel_id: "lobby" })).payload.history as Array<Record<string, unknown>>;
    for (const message of history) expect(message).not.toHaveProperty("key");
  });
});
