/**
 * helper 57: chat.send ×N (two members) then chat.leave in flight at a reload, then chat.join at once. The old
 * channel instance stores what was queued while it stops (broadcast to nobody); the new instance answers the sends
 * made again by their key and broadcasts each stored message "out now" — but without counting it in `#sentOut`, so a
 * connection's first chat.join after those broadcasts gets them again in its history: the player gets each message
 * twice, live and in the join's answer ("a message reaches a member once: there or live").
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { createGame } from "../../src/game/index.js";
import example from "../../examples/game/game.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

describe("helper 57: chat.leave then chat.join around a reload", () => {
  it("a message reaches the rejoined player once: live or in the join's history, not both", async () => {
    const SENDS = 40;
    const options = { ...example, limits: { chatMessagesPerWindow: SENDS + 10, chatHistory: 500 } };
    const server = await startGame({ ...options, server: { storage: "leveldb" } });
    const [ada, bob] = await players(server, "ada", "bob");
    await ada!.request("chat.join", { channel_id: "lobby" });
    await bob!.request("chat.join", { channel_id: "lobby" });
    for (let i = 0; i < SENDS; i++) bob!.send("chat.send", { channel_id: "lobby", content: `bob-${i}` }, `bob-${i}`);
    for (let i = 0; i < SENDS; i++) ada!.send("chat.send", { channel_id: "lobby", content: `ada-${i}` }, `ada-${i}`);
    ada!.send("chat.leave", { channel_id: "lobby" }, "leave");
    await ada!.until("the answer to ada-0", (message) => message.cid === "ada-0");
    await server.server.reload(createGame(options).parties);
    ada!.send("chat.join", { channel_id: "lobby" }, "rejoin");
    const rejoin = await ada!.until("the answer to the rejoin", (message) => message.cid === "rejoin", 5_000);
    expect(rejoin.type).toBe("chat.join");
    const leftAt = ada!.received.findIndex((message) => message.cid === "leave");
    const rejoinAt = ada!.received.indexOf(rejoin);
    // After the leave's answer, what the leaving link got was dropped: a chat.message here came on the link that rejoined.
    const liveBeforeAnswer = ada!.received
      .slice(leftAt + 1, rejoinAt)
      .filter((message) => message.type === "chat.message")
      .map((message) => message.payload.content as string);
    const inHistory = (rejoin.payload.history as Array<{ content: string }>).map((message) => message.content);
    expect(liveBeforeAnswer.filter((content) => inHistory.includes(content))).toEqual([]);
    // bob, who heard ada's messages live before the reload, does not hear them again either.
    for (let i = 0; i < SENDS; i++) await bob!.until(`the answer to bob-${i}`, (message) => message.cid === `bob-${i}`, 5_000);
    for (let i = 1; i < SENDS; i++) await ada!.until(`the answer to ada-${i}`, (message) => message.cid === `ada-${i}`, 5_000);
    await ada!.request("chat.send", { channel_id: "lobby", content: "ada-end" });
    await bob!.expect("chat.message", (payload) => payload.content === "ada-end", 5_000);
    const bobHeard = bob!.received.filter((message) => message.type === "chat.message").map((message) => message.payload.content as string);
    expect(bobHeard.filter((content, index) => bobHeard.indexOf(content) !== index)).toEqual([]);
  });
});
