/**
 * `chat.message` carries a `message_id` (Nakama's ChannelMessage has one), and `chat.send`'s answer names it. Before,
 * a message had none: two alike messages sent in one millisecond could not be told apart, and a client could not
 * tell after a reconnect which messages of a history it had already shown.
 */
import { afterEach, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch } from "../../src/game/index.js";
import { players, restartGame, startGame } from "./helpers.js";

afterEach(cleanupAll);

const options = { matches: { plain: defineMatch({ tickRate: 20, init: () => ({}) }) } };

it("each message has its own message_id: in the live frame, in chat.send's answer, in the history, across a restart", async () => {
  const server = await startGame({ ...options, server: { storage: "leveldb" } });
  const [ada, bob] = await players(server, "ada", "bob");
  await ada!.request("chat.join", { channel_id: "lobby" });
  await bob!.request("chat.join", { channel_id: "lobby" });

  const answers = [];
  for (let i = 0; i < 2; i++) answers.push((await ada!.request("chat.send", { channel_id: "lobby", content: "gg" })).payload);
  const live = [(await bob!.expect("chat.message")).payload, (await bob!.expect("chat.message")).payload];
  const ids = live.map((message) => message.message_id as string);
  expect(ids[0]).toMatch(/^[A-Za-z0-9_-]{16}$/);
  expect(ids[1]).not.toBe(ids[0]); // alike messages, two ids
  expect(answers).toEqual(live.map(({ channel_id, message_id, sent_at }) => ({ channel_id, message_id, sent_at })));

  const [cy] = await players(server, "cy");
  const history = (await cy!.request("chat.join", { channel_id: "lobby" })).payload.history;
  expect(history).toEqual(live);

  const again = await restartGame(server, options);
  const [dee] = await players(again, "dee");
  expect((await dee!.request("chat.join", { channel_id: "lobby" })).payload.history).toEqual(live);
});
