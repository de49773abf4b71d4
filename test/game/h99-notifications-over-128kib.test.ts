/**
 * A player's notifications are stored in `room.storage` as one value (up to 200, each up to a request's size), which
 * can pass Durable Objects' 128 KiB value limit: the game's player party is not held to it
 * (`options.storageLimits: false`), so every notification is stored and listed after a restart.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineMatch } from "../../src/game/index.js";
import { cleanupAll } from "../helpers/server.js";
import { api, players, restartGame, startGame } from "./helpers.js";

afterEach(cleanupAll);

const COUNT = 12;
const CONTENT = "x".repeat(12_000); // 12 of them: 144 KB, past 128 KiB

const gifts = defineMatch<Record<string, never>>({
  tickRate: 20,
  init: () => ({}),
  async onInput(_state, { player }, ctx) {
    for (let i = 0; i < COUNT; i++) await ctx.notify(player, { type: "gift", subject: `gift ${i}`, content: { blob: CONTENT } });
  },
});

describe("game: notifications past Durable Objects' value limit", () => {
  it("are all stored, and listed after a restart", async () => {
    const options = { matches: { gifts } };
    const server = await startGame({ ...options, server: { storage: "leveldb" } });
    const [ada] = await players(server, "ada");
    await ada!.request("match.join", { match_id: "big.gifts" });
    await ada!.expect("match.started");
    ada!.send("match.input", {});
    for (let i = 0; i < COUNT; i++) await ada!.expect("notification.new", (payload) => payload.subject === `gift ${i}`);
    expect(server.logs.filter((entry) => entry.event === "game.notify_failed")).toEqual([]);

    const restarted = await restartGame(server, options);
    const listed = (await (await api(restarted, "/api/notifications", "ada")).json()) as { notifications: Array<{ subject: string }> };
    expect(listed.notifications.map((n) => n.subject)).toEqual(Array.from({ length: COUNT }, (_, i) => `gift ${i}`));
  });
});
