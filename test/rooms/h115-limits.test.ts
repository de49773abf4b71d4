/**
 * `createRooms({ limits })` took any value: NaN, a negative, a fraction, a string or a misspelled name were kept as
 * given, and misbehaved later (a `handshakeTimeoutMs` of NaN is a timer that fires at once: every socket closed 4400
 * before its handshake; a misspelled name did nothing). It now refuses them at creation, as `createServer({ limits })`
 * does: a TypeError naming the limit, the value given and what it takes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType, type RoomsLimits } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

const types = { counter: defineRoomType({}) };

describe("createRooms({ limits }) is checked at creation", () => {
  it.each([
    [
      "handshakeTimeoutMs",
      Number.NaN,
      'Limit "handshakeTimeoutMs" of createRooms must be a whole number from 1 to 2147483647 (ms: the longest wait a timer takes), got NaN',
    ],
    ["resumeWindowMs", -1, 'Limit "resumeWindowMs" of createRooms must be a whole number from 0 to 2147483647 (ms: the longest wait a timer takes), got -1'],
    ["resumeWindowMs", 2 ** 31, "got 2147483648"],
    ["maxRoomsPerSession", 2.5, 'Limit "maxRoomsPerSession" of createRooms must be a whole number 1 or more, got 2.5'],
    ["maxKeptPatches", "512", 'Limit "maxKeptPatches" of createRooms must be a whole number 0 or more, got "512"'],
    ["saveIntervalMs", Number.POSITIVE_INFINITY, "got Infinity"],
    ["seatStoreTimeoutMs", 0, 'Limit "seatStoreTimeoutMs" of createRooms must be a whole number 1 or more, or Infinity, got 0'],
    ["seatStoreTimeoutMs", Number.NaN, "got NaN"],
  ])("%s: %s is refused", async (name, value, message) => {
    await expect(startRooms(types, { limits: { [name]: value } as unknown as Partial<RoomsLimits> })).rejects.toThrow(message);
  });

  it("an unknown name is refused, with the names it knows", async () => {
    const limits = { resumeWindowMS: 1000 } as unknown as Partial<RoomsLimits>;
    await expect(startRooms(types, { limits })).rejects.toThrow(/^Unknown limit "resumeWindowMS" of createRooms \(known: maxProtocolErrors, resumeWindowMs,/);
  });

  it("limits that are not an object are refused", async () => {
    await expect(startRooms(types, { limits: 5 as unknown as Partial<RoomsLimits> })).rejects.toThrow(
      "createRooms({ limits }) must be an object of limit names to numbers, got 5",
    );
  });

  it("what each takes is served: 0 where it means none, Infinity for seatStoreTimeoutMs", async () => {
    const server = await startRooms(types, {
      limits: { saveIntervalMs: 0, resumeWindowMs: 0, seatStoreTimeoutMs: Number.POSITIVE_INFINITY, handshakeTimeoutMs: 5_000 },
    });
    const client = rawClient(server);
    expect((await client.handshake({ token: "dev:ada" })).session_id).toBeTypeOf("string");
  });
});
