/**
 * A room type's `maxClients` (in the limits table of docs/rooms.md) and `tickMs` were taken as given while the
 * protocol's limits are checked (h115): `maxClients: NaN` (e.g. `Number(process.env.SEATS)` unset) left every room
 * unbounded, listed `max_clients: null`, and made each unnamed join a room of its own (no room has a free seat below
 * NaN); a `tickMs` past a timer's longest wait ticked every millisecond. `createRooms` now refuses them, naming the
 * room type, and takes the documented extremes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { MAX_TIMER_MS } from "../../src/rooms/limits.js";
import { cleanupAll } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

describe("createRooms checks its room types' seats and tick", () => {
  it.each([
    [{ maxClients: Number.NaN }, 'Room type "lobby": maxClients must be a whole number 1 or more, got NaN'],
    [{ maxClients: 0 }, "got 0"],
    [{ maxClients: 2.5 }, "got 2.5"],
    [{ maxClients: "8" }, 'got "8"'],
    [{ maxClients: Number.POSITIVE_INFINITY }, "got Infinity"],
    [
      { tickMs: MAX_TIMER_MS + 1 },
      'Room type "lobby": tickMs must be a whole number from 0 to 2147483647 (ms: the longest wait a timer takes), got 2147483648',
    ],
    [{ tickMs: -5 }, "got -5"],
    [{ tickMs: Number.NaN }, "got NaN"],
  ])("%o is refused", async (definition, message) => {
    await expect(startRooms({ lobby: defineRoomType(definition as object) })).rejects.toThrow(message);
  });

  it("takes its extremes: one seat, any number of seats, no tick, the longest tick", async () => {
    const server = await startRooms({
      one: defineRoomType({ maxClients: 1, tickMs: MAX_TIMER_MS, onTick() {} }),
      many: defineRoomType({ maxClients: Number.MAX_SAFE_INTEGER, tickMs: 0 }),
    });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    const bob = rawClient(server);
    await bob.handshake({ token: "dev:bob" });
    const one = await ada.request("room.join_or_create", { room_type: "one" });
    expect((await bob.request("room.join_or_create", { room_type: "one" })).room).not.toBe(one.room);
    const many = await ada.request("room.join_or_create", { room_type: "many" });
    expect((await bob.request("room.join_or_create", { room_type: "many" })).room).toBe(many.room);
    expect((await bob.request("room.list", { room_type: "many" })).rooms).toEqual([
      expect.objectContaining({ room: many.room, clients: 2, max_clients: Number.MAX_SAFE_INTEGER }),
    ]);
  });
});
