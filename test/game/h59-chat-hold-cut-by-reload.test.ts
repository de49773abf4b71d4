/**
 * helper 59: a chat.join that keeps a leaving link holds the channel's live chat.message frames until the room's
 * answer to that join (`#chatHolds`, released only when a frame with the join's cid comes through `#fromChat`). A join
 * is not sent again after a reload (no `retry`): a reload that cuts it off has the link answer it `error` itself
 * (`owner.answer`, which bypasses `#fromChat`), so the hold is never released. The link stays (a member again,
 * quietly), and from then on every chat.message of the channel is held for good: the player sees no message of the
 * channel again — even after joining again, as the error asks.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, deferred, onCleanup } from "../helpers/server.js";
import { createGame } from "../../src/game/index.js";
import example from "../../examples/game/game.js";
import { players, startGame } from "./helpers.js";

afterEach(cleanupAll);

describe("helper 59: a join that keeps a leaving link, cut off by a reload", () => {
  it("the player gets the channel's messages again once it joined again after the cut-off join's error", async () => {
    const ADA_SENDS = 60;
    const gate = deferred<boolean>(); // canJoinChannel's answer to ada's rejoin (e.g. a lookup in a database)
    let adaJoins = 0;
    const options = {
      ...example,
      limits: { chatMessagesPerWindow: ADA_SENDS + 10, chatHistory: 500 },
      canJoinChannel: (player: string) => (player === "ada" && ++adaJoins === 2 ? gate.promise : true),
    };
    const server = await startGame({ ...options, server: { storage: "leveldb", limits: { shutdownTimeoutMs: 300 } } });
    const [ada, bob] = await players(server, "ada", "bob");
    await ada!.request("chat.join", { channel_id: "lobby" });
    await bob!.request("chat.join", { channel_id: "lobby" });
    for (let i = 0; i < ADA_SENDS; i++) ada!.send("chat.send", { channel_id: "lobby", content: `ada-${i}` }, `ada-${i}`);
    ada!.send("chat.leave", { channel_id: "lobby" }, "leave");
    ada!.send("chat.join", { channel_id: "lobby" }, "rejoin"); // waits for canJoinChannel
    await ada!.until("the answer to ada-0", (message) => message.cid === "ada-0");

    // A reload whose new chat code starts slowly (its storage is slow): ada's leaving link comes back for its sends.
    const slow = deferred<void>();
    onCleanup(() => slow.resolve());
    const slowParties = createGame(options).parties;
    const Chat = slowParties["game-chat"] as unknown as new (...args: unknown[]) => { onStart(): Promise<void> };
    slowParties["game-chat"] = class extends Chat {
      override async onStart() {
        await slow.promise;
        return super.onStart();
      }
    } as never;
    await server.server.reload(slowParties);
    gate.resolve(true); // ada's rejoin keeps the leaving link: live messages held until its answer
    await bob!.request("no.such.request"); // a round trip through the sessions: ada's join went to the room
    await server.server.reload(createGame(options).parties); // cuts the rejoin off before the room answered it

    const rejoin = await ada!.until("the answer to the rejoin", (message) => message.cid === "rejoin", 5_000);
    if (rejoin.type === "error") {
      const again = await ada!.request("chat.join", { channel_id: "lobby" }); // as the error asks: try again
      expect(again.type).toBe("chat.join");
    }
    expect((await bob!.request("chat.send", { channel_id: "lobby", content: "bob-end" })).type).toBe("chat.send");
    await ada!.expect("chat.message", (payload) => payload.content === "bob-end", 3_000);
  });
});
