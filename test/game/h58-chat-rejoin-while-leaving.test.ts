/**
 * helper 58: chat.send ×N from two members and ada's chat.leave, all in flight at a reload. Ada's leaving link comes
 * back (unannounced) for the sends it makes again; while it waits for their answers, bob's messages go out on the new
 * instance (sent again by key, or stored there): the leaving link drops them (the room's own messages stop at the
 * leave), and the channel counts them as reaching that connection (`#liveFrom`, `#resentTo`). Ada's chat.join then
 * keeps the leaving link (`stay`), and its first join there leaves them out of the history: ada never gets them.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { createGame } from "../../src/game/index.js";
import example from "../../examples/game/game.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

describe("helper 58: chat.join while the leaving link is back for its sends after a reload", () => {
  it("every message bob's sends stored reaches ada: live, or in her rejoin's history", async () => {
    const SENDS = 40;
    const ADA_SENDS = 120;
    const options = { ...example, limits: { chatMessagesPerWindow: ADA_SENDS + 10, chatHistory: 500 } };
    const server = await startGame({ ...options, server: { storage: "leveldb" } });
    const [ada, bob] = await players(server, "ada", "bob");
    await ada!.request("chat.join", { channel_id: "lobby" });
    await bob!.request("chat.join", { channel_id: "lobby" });
    for (let i = 0; i < SENDS; i++) bob!.send("chat.send", { channel_id: "lobby", content: `bob-${i}` }, `bob-${i}`);
    for (let i = 0; i < ADA_SENDS; i++) ada!.send("chat.send", { channel_id: "lobby", content: `ada-${i}` }, `ada-${i}`);
    ada!.send("chat.leave", { channel_id: "lobby" }, "leave");
    await ada!.until("the answer to ada-0", (message) => message.cid === "ada-0");
    await server.server.reload(createGame(options).parties);
    // bob's messages go out on the new instance while ada's leaving link still waits for its own.
    for (let i = 0; i < SENDS; i++) await bob!.until(`the answer to bob-${i}`, (message) => message.cid === `bob-${i}`, 5_000);
    ada!.send("chat.join", { channel_id: "lobby" }, "rejoin");
    const rejoin = await ada!.until("the answer to the rejoin", (message) => message.cid === "rejoin", 5_000);
    expect(rejoin.type).toBe("chat.join");
    await bob!.request("chat.send", { channel_id: "lobby", content: "bob-end" });
    await ada!.expect("chat.message", (payload) => payload.content === "bob-end", 5_000);
    const bobStored = bob!.received.filter((m) => m.cid?.startsWith("bob-") && m.type === "chat.send").map((m) => m.cid as string);
    // Generous: every chat.message ada's client got, at any time, and the rejoin's history.
    const heard = ada!.received.filter((m) => m.type === "chat.message").map((m) => m.payload.content as string);
    const inHistory = (rejoin.payload.history as Array<{ content: string }>).map((m) => m.content);
    const reached = new Set([...heard, ...inHistory]);
    expect(bobStored.filter((content) => !reached.has(content))).toEqual([]);
  });
});
