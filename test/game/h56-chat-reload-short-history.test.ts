/**
 * h56 (adversarial): the channel knows a message sent again after a reload by its key, looked up in the history it
 * keeps. With a short history (`chatHistory`), messages the old instance stored while stopping have left the history
 * by the time the session sends them again, so they are stored and sent out a second time.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { createGame } from "../../src/game/index.js";
import example from "../../examples/game/game.js";
import { chatSendAnswers, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

describe("h56 chat.send in flight when the server reloads, with a short history", () => {
  it("each message reaches the channel's members once (chatHistory 5, 40 sends)", async () => {
    const SENDS = 40;
    const options = { ...example, limits: { chatMessagesPerWindow: SENDS + 1, chatHistory: 5 } };
    const server = await startGame({ ...options, server: { storage: "leveldb" } });
    const [ada, bob] = await players(server, "ada", "bob");
    await ada!.request("chat.join", { channel_id: "lobby" });
    await bob!.request("chat.join", { channel_id: "lobby" });
    for (let i = 0; i < SENDS; i++) ada!.send("chat.send", { channel_id: "lobby", content: `m${i}` }, `send-${i}`);
    const first = await ada!.until("the answer to send-0", (message) => message.cid === "send-0");
    await server.server.reload(createGame(options).parties);
    const rest = await chatSendAnswers(ada!, SENDS, 1);
    const answeredOk = [...(first.type === "chat.send" ? ["m0"] : []), ...rest.ok];
    // A marker after them all: once bob hears it, he has heard everything sent before it.
    expect((await ada!.request("chat.send", { channel_id: "lobby", content: "marker" })).type).toBe("chat.send");
    await bob!.expect("chat.message", (payload) => payload.content === "marker", 5_000);
    const heard = bob!.received.filter((message) => message.type === "chat.message").map((message) => message.payload.content as string);
    const twice = heard.filter((content, i) => heard.indexOf(content) !== i);
    expect(twice).toEqual([]);
    expect(heard.filter((content) => content !== "marker").sort()).toEqual(answeredOk.sort());
  });
});
