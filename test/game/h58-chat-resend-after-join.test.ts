/**
 * helper 58: after a reload, the channel's new instance holds a message the stopped one stored during its stop but sent
 * to nobody; the sender's link sends it again by its key and the channel broadcasts it "out now". `#resentTo` keeps it
 * out of the first chat.join of members that had not joined yet, but a member whose first chat.join came BEFORE that
 * resend (a player joining the channel right after the reload) got it in that join's history, and then gets it live
 * too: twice ("a message reaches a member once: there or live").
 *
 * The channel party is mounted on its own here (the game's mount keeps it closed to clients), over the storage the
 * stopped instance left: the same state, without racing a reload against a LevelDB write.
 */
import { afterEach, describe, expect, it } from "vitest";
import { chatParty } from "../../src/game/chat-party.js";
import { createLogger } from "../../src/runtime/index.js";
import { cleanupAll, connect, startServer, type TestClient } from "../helpers/server.js";

afterEach(cleanupAll);

const Chat = chatParty({ limits: { chatHistory: 100 } as never, logger: createLogger({ level: "error", write: () => {} }) });
class OpenChat extends (Chat as unknown as new (room: never) => object) {}
(OpenChat as unknown as { onBeforeConnect?: unknown; onBeforeRequest?: unknown }).onBeforeConnect = undefined;

interface Envelope {
  cid?: string;
  type: string;
  payload: Record<string, unknown>;
}
const frames = (client: TestClient): Envelope[] => client.messages.map((frame) => JSON.parse(frame as string) as Envelope);
async function answer(client: TestClient, cid: string): Promise<Envelope> {
  for (let i = 0; ; i++) {
    const message = JSON.parse((await client.nth(i)) as string) as Envelope;
    if (message.cid === cid) return message;
  }
}

describe("helper 58: a chat message sent again after a reload, to a member that joined first", () => {
  it("reaches that member once (its join's history), not again live", async () => {
    const test = await startServer({ "game-chat": OpenChat as never }, { storage: "memory" });
    // What the stopped instance left: ada's message stored during the stop, gone out to nobody.
    const stored = { channel_id: "lobby", sender_id: "ada", content: "hello", sent_at: new Date().toISOString(), key: "k-ada-1" };
    await test.server.storage.kv("game-chat/lobby").put("game.chat.history", [stored]);
    // carl's first chat.join on the new instance, before ada's link sends the message again.
    const carl = connect(test.wsUrl("/parties/game-chat/lobby?_pk=carl"));
    await carl.opened;
    carl.send(JSON.stringify({ cid: "join", type: "chat.join", payload: { channel_id: "lobby" } }));
    const join = await answer(carl, "join");
    expect((join.payload.history as Array<{ content: string }>).map((m) => m.content)).toEqual(["hello"]);
    // ada's link is back and sends it again with its key.
    const ada = connect(test.wsUrl("/parties/game-chat/lobby?_pk=ada"));
    await ada.opened;
    ada.send(JSON.stringify({ cid: "s1", type: "chat.send", payload: { channel_id: "lobby", content: "hello", key: "k-ada-1" } }));
    expect((await answer(ada, "s1")).type).toBe("chat.send");
    // A later message, so that carl has received whatever the resend sent him.
    ada.send(JSON.stringify({ cid: "s2", type: "chat.send", payload: { channel_id: "lobby", content: "bye", key: "k-ada-2" } }));
    await answer(ada, "s2");
    for (let i = 0; !frames(carl).some((m) => m.type === "chat.message" && m.payload.content === "bye"); i++) await carl.nth(i + 1);
    const live = frames(carl)
      .filter((m) => m.type === "chat.message")
      .map((m) => m.payload.content);
    expect(live).toEqual(["bye"]); // "hello" came in the join's history already
  });
});
