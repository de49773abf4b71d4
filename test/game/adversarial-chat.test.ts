/**
 * Adversarial chat checks (helper 50). A joiner gets the channel's history in the answer to `chat.join` and every
 * later message as `chat.message` (docs/game.md, Messages): a message is one or the other, never both — the
 * payload has no id a client could drop a copy by. And "every request is answered": a `chat.join` whose channel
 * is left right after it (before the channel room answered) gets an answer too, as a `match.join` left at once
 * does ("left match … before the join was done") and a join waiting for `canJoinChannel` does.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch } from "../../src/game/index.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const plain = defineMatch({ tickRate: 20, init: () => ({}) });

describe("chat.join while a message is being stored", () => {
  it("the joiner gets the message once: in the history or live, not in both", async () => {
    const server = await startGame({ matches: { plain }, server: { storage: "leveldb" } });
    const [ada, bob] = await players(server, "ada", "bob");
    await ada.request("chat.join", { channel_id: "lobby" });
    ada.send("chat.send", { channel_id: "lobby", content: "hello" }, "sent");
    const joined = await bob.request("chat.join", { channel_id: "lobby" }); // right behind ada's send
    expect(joined.type).toBe("chat.join");
    await ada.until("the answer to ada's chat.send", (message) => message.cid === "sent");
    await ada.expect("chat.message");
    await bob.request("session.heartbeat"); // anything the room sent bob came before this answer
    const inHistory = (joined.payload.history as Array<{ content: string }>).filter((message) => message.content === "hello").length;
    const live = bob.received.filter((message) => message.type === "chat.message" && message.payload.content === "hello").length;
    expect({ inHistory, live, total: inHistory + live }).toMatchObject({ total: 1 });
  });
});

describe("chat.join then chat.leave at once", () => {
  it("the join is answered (its result or an error with its cid), the leave too", async () => {
    const server = await startGame({ matches: { plain } });
    const [ada] = await players(server, "ada");
    ada.send("chat.join", { channel_id: "lobby" }, "join");
    ada.send("chat.leave", { channel_id: "lobby" }, "leave");
    expect(await ada.until("the answer to chat.leave", (message) => message.cid === "leave")).toMatchObject({ type: "chat.leave" });
    const answer = await ada.until("an answer to the chat.join", (message) => message.cid === "join", 2_000);
    expect(["chat.join", "error"]).toContain(answer.type);
  });
});

describe("chat.send then chat.leave at once", () => {
  it("the send is answered: the message went out to the channel, so the sender hears of it (not a timeout to retry)", async () => {
    const server = await startGame({ matches: { plain } });
    const [ada, bob] = await players(server, "ada", "bob");
    await ada.request("chat.join", { channel_id: "lobby" });
    await bob.request("chat.join", { channel_id: "lobby" });
    ada.send("chat.send", { channel_id: "lobby", content: "bye" }, "send");
    ada.send("chat.leave", { channel_id: "lobby" }, "leave");
    expect((await bob.expect("chat.message")).payload).toMatchObject({ sender_id: "ada", content: "bye" }); // it was sent
    expect(await ada.until("the answer to chat.leave", (message) => message.cid === "leave")).toMatchObject({ type: "chat.leave" });
    const answer = await ada.until("an answer to the chat.send", (message) => message.cid === "send", 2_000);
    expect(answer).toMatchObject({ type: "chat.send", payload: { channel_id: "lobby" } });
  });
});
