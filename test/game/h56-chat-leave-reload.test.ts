/**
 * h56 (adversarial): chat.send in flight, then chat.leave, when the server reloads. A leaving link is not opened
 * again, so what the reload cut off is answered error, "send it again". A message the old channel had stored by then
 * must not be answered error, or the client's resend stores it twice.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { createGame } from "../../src/game/index.js";
import example from "../../examples/game/game.js";
import { chatSendAnswers, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

describe("h56 chat.send then chat.leave in flight when the server reloads", () => {
  it("a message answered error is not in the channel's history (the client sends it again)", async () => {
    const SENDS = 40;
    const options = { ...example, limits: { chatMessagesPerWindow: SENDS } };
    const server = await startGame({ ...options, server: { storage: "leveldb" } });
    const [ada] = await players(server, "ada");
    await ada!.request("chat.join", { channel_id: "lobby" });
    for (let i = 0; i < SENDS; i++) ada!.send("chat.send", { channel_id: "lobby", content: `m${i}` }, `send-${i}`);
    ada!.send("chat.leave", { channel_id: "lobby" }, "leave");
    const first = await ada!.until("the answer to send-0", (message) => message.cid === "send-0");
    await server.server.reload(createGame(options).parties);
    const rest = await chatSendAnswers(ada!, SENDS, 1);
    const answeredOk = [...(first.type === "chat.send" ? ["m0"] : []), ...rest.ok];
    const answeredError = [...(first.type === "error" ? ["m0"] : []), ...rest.error];
    const [cy] = await players(server, "cy");
    const history = (await cy!.request("chat.join", { channel_id: "lobby" })).payload.history as Array<{ content: string }>;
    const stored = history.map((message) => message.content);
    expect(answeredError.filter((content) => stored.includes(content))).toEqual([]);
    expect(answeredOk.filter((content) => !stored.includes(content))).toEqual([]);
  });
});
