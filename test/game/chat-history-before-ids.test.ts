/**
 * A channel's history stored before messages had a `message_id` (yparty before h146) gets ids when the channel is
 * next loaded, and keeps them: a client de-duplicating by id after a reconnect must see the same ids after every
 * restart. The old format is made by a stand-in for the chat party that strips the ids the current one stored.
 */
import { afterEach, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll } from "../helpers/server.js";
import { createGame, defineMatch } from "../../src/game/index.js";
import { players, restartGame, startGame } from "./helpers.js";

afterEach(cleanupAll);

const options = { matches: { plain: defineMatch({ tickRate: 20, init: () => ({}) }) } };
const HISTORY_KEY = "game.chat.history"; // the chat party's storage key: the data an older yparty left

/** In place of the chat party: a request strips every stored message's id, as an older yparty stored them. */
class OldHistory {
  constructor(readonly room: Party.Room) {}
  async onRequest(): Promise<Response> {
    const history = (await this.room.storage.get<Array<Record<string, unknown>>>(HISTORY_KEY)) ?? [];
    await this.room.storage.put(
      HISTORY_KEY,
      history.map(({ message_id: _, ...message }) => message),
    );
    return Response.json(history.length);
  }
}

it("a history stored without message_id gets ids once, kept across restarts", async () => {
  const server = await startGame({ ...options, server: { storage: "leveldb" } });
  const [ada] = await players(server, "ada");
  await ada!.request("chat.join", { channel_id: "lobby" });
  for (const content of ["gg", "gg"]) await ada!.request("chat.send", { channel_id: "lobby", content });

  const parties = createGame(options).parties;
  const old = await server.restart({ ...parties, "game-chat": OldHistory as unknown as Party.PartyModule });
  expect(await (await fetch(`${old.url}/parties/game-chat/lobby`)).json()).toBe(2);

  const upgraded = await restartGame(old, options);
  const [bob] = await players(upgraded, "bob");
  const history = (await bob!.request("chat.join", { channel_id: "lobby" })).payload.history as Array<Record<string, unknown>>;
  expect(history.map((message) => message.content)).toEqual(["gg", "gg"]);
  const ids = history.map((message) => message.message_id);
  expect(ids.every((id) => typeof id === "string" && /^[A-Za-z0-9_-]{16}$/.test(id))).toBe(true);
  expect(new Set(ids).size).toBe(2);

  const again = await restartGame(upgraded, options);
  const [cy] = await players(again, "cy");
  expect((await cy!.request("chat.join", { channel_id: "lobby" })).payload.history).toEqual(history);
});
