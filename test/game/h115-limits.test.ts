/**
 * `createGame({ limits })` took any value: NaN, a negative, a fraction, a string or a misspelled name were kept as
 * given, and misbehaved later (a `sessionTimeoutMs` of NaN is a timer that fires at once: every socket closed 4408
 * before its `session.connect`). It now refuses them at creation, as `createServer({ limits })` does: a TypeError
 * naming the limit, the value given and what it takes.
 */
import { afterEach, describe, expect, it } from "vitest";
import example from "../../examples/game/game.js";
import type { GameLimits } from "../../src/game/index.js";
import { cleanupAll } from "../helpers/server.js";
import { gameClient, startGame } from "./helpers.js";

afterEach(cleanupAll);

const game = (limits: Record<string, unknown>) => startGame({ ...example, limits: limits as Partial<GameLimits> });

describe("createGame({ limits }) is checked at creation", () => {
  it.each([
    [
      "sessionTimeoutMs",
      Number.NaN,
      'Limit "sessionTimeoutMs" of createGame must be a whole number from 1 to 2147483647 (ms: the longest wait a timer takes), got NaN',
    ],
    ["reconnectWindowMs", -5, "got -5"],
    ["reconnectWindowMs", 3e9, "got 3000000000"],
    ["maxChatLength", 0.5, 'Limit "maxChatLength" of createGame must be a whole number 1 or more, got 0.5'],
    ["chatHistory", "50", 'Limit "chatHistory" of createGame must be a whole number 0 or more, got "50"'],
    ["seatStoreTimeoutMs", -1, 'Limit "seatStoreTimeoutMs" of createGame must be a whole number 1 or more, or Infinity, got -1'],
  ])("%s: %s is refused", async (name, value, message) => {
    await expect(game({ [name]: value })).rejects.toThrow(message);
  });

  it("an unknown name is refused, with the names it knows", async () => {
    await expect(game({ reconnectWindow: 1000 })).rejects.toThrow(
      /^Unknown limit "reconnectWindow" of createGame \(known: sessionTimeoutMs, reconnectWindowMs,/,
    );
  });

  it("what each takes is served: 0 where it means none, Infinity for seatStoreTimeoutMs", async () => {
    const server = await game({ chatHistory: 0, reconnectWindowMs: 0, seatStoreTimeoutMs: Number.POSITIVE_INFINITY, sessionTimeoutMs: 5_000 });
    expect((await gameClient(server).connect("ada")).player_id).toBe("ada");
  });
});
