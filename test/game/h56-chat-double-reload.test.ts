/**
 * h56 (adversarial): two reloads in a row (`yparty dev`: two saves in quick succession). The session's links come
 * back after the first one by connecting to the rooms again while the old instances unload; the second reload stops
 * those new instances while the links' connections are still joining them (not yet in their connection list), so
 * the connections are not closed and stay on stopped instances. Since 4661aa9 such an instance's storage refuses
 * (ERR_ROOM_STOPPED): the chat channel's onMessage fails and closes the link 1011, so the session silently leaves
 * the channel (the chat tests pass before 4661aa9). The player room's link stays on its stopped instance too: a new
 * notification (stored by the running instance) never reaches the socket (this one fails before 4661aa9 as well).
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { createGame } from "../../src/game/index.js";
import example from "../../examples/game/game.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

describe("h56 two reloads in a row", () => {
  for (const inFlight of [0, 40]) {
    it(`with ${inFlight} chat.send in flight: the sender is still in its channel (its next chat.send is answered chat.send and heard)`, async () => {
      const options = { ...example, limits: { chatMessagesPerWindow: inFlight + 1 } };
      const server = await startGame({ ...options, server: { storage: "leveldb" } });
      const [ada, bob] = await players(server, "ada", "bob");
      await ada!.request("chat.join", { channel_id: "lobby" });
      await bob!.request("chat.join", { channel_id: "lobby" });
      for (let i = 0; i < inFlight; i++) ada!.send("chat.send", { channel_id: "lobby", content: `m${i}` }, `send-${i}`);
      if (inFlight > 0) await ada!.until("the answer to send-0", (message) => message.cid === "send-0");
      await server.server.reload(createGame(options).parties);
      await server.server.reload(createGame(options).parties);
      for (let i = 1; i < inFlight; i++) await ada!.until(`the answer to send-${i}`, (message) => message.cid === `send-${i}`, 5_000);
      const answer = await ada!.request("chat.send", { channel_id: "lobby", content: "after both reloads" });
      expect(answer.payload.reason).toBeUndefined();
      expect(answer.type).toBe("chat.send");
      await bob!.expect("chat.message", (payload) => payload.content === "after both reloads", 5_000);
    });
  }
});

describe("h56 two reloads in a row, the player room", () => {
  it("a session whose socket stayed open still gets a new notification live", async () => {
    const server = await startGame({ ...example, server: { storage: "leveldb" } });
    const [ada] = await players(server, "ada");
    await server.server.reload(createGame(example).parties);
    await server.server.reload(createGame(example).parties);
    const response = await fetch(`${server.url}/api/friends`, {
      method: "POST",
      headers: { authorization: "Bearer dev:cy", "content-type": "application/json" },
      body: JSON.stringify({ player_id: "ada" }),
    });
    expect(response.status).toBe(200);
    expect((await ada!.expect("notification.new", undefined, 3_000)).payload).toMatchObject({ type: "friend_request", content: { from_player_id: "cy" } });
  });
});
