/**
 * Adversarial checks of round 2 (helper h55): the RoomLink's owed answers, chat leave/rejoin, matchmaker search.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch } from "../../src/game/index.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const plain = defineMatch({ tickRate: 20, init: () => ({}) });

describe("chat.send, chat.leave, chat.join again at once", () => {
  it("the send, which went out, is answered chat.send (not an error telling the sender to try again)", async () => {
    const server = await startGame({ matches: { plain }, server: { storage: "leveldb" } });
    const [ada, bob] = await players(server, "ada", "bob");
    await ada.request("chat.join", { channel_id: "lobby" });
    await bob.request("chat.join", { channel_id: "lobby" });
    ada.send("chat.send", { channel_id: "lobby", content: "bye" }, "send");
    ada.send("chat.leave", { channel_id: "lobby" }, "leave");
    ada.send("chat.join", { channel_id: "lobby" }, "again");
    expect((await bob.expect("chat.message")).payload).toMatchObject({ sender_id: "ada", content: "bye" }); // it was sent
    expect(await ada.until("the answer to the second chat.join", (message) => message.cid === "again")).toMatchObject({ type: "chat.join" });
    const answer = await ada.until("an answer to the chat.send", (message) => message.cid === "send", 2_000);
    expect(answer).toMatchObject({ type: "chat.send", payload: { channel_id: "lobby" } });
  });
});

describe("chat.join of a channel joined already", () => {
  it("is answered with the history again (the last messages), including ones that went out before this join", async () => {
    const server = await startGame({ matches: { plain } });
    const [ada, bob] = await players(server, "ada", "bob");
    await ada.request("chat.join", { channel_id: "lobby" });
    await bob.request("chat.join", { channel_id: "lobby" });
    expect(await bob.request("chat.send", { channel_id: "lobby", content: "earlier" })).toMatchObject({ type: "chat.send" });
    await ada.expect("chat.message"); // went out well before the second join
    const again = await ada.request("chat.join", { channel_id: "lobby" });
    expect((again.payload.history as Array<{ content: string }>).map((message) => message.content)).toEqual(["earlier"]);
  });
});
