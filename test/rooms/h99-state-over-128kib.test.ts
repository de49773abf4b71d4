/**
 * A room's state is stored in `room.storage` as one value. Durable Objects refuse a value over 128 KiB, and so does
 * `room.storage` for party code; the rooms party is not held to that (`options.storageLimits: false`): a state of
 * 200 KiB is saved and comes back after a restart, with nothing logged as failed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { Mirror, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

const BIG = 200 * 1024;

const big = defineRoomType<{ blob: string }>({
  onCreate() {
    this.state = { blob: "" };
  },
  onInput() {
    this.state.blob = "x".repeat(BIG);
  },
});

describe("rooms: a state past Durable Objects' value limit", () => {
  it("is saved and comes back after a restart", async () => {
    const server = await startRooms({ big }, { limits: { saveIntervalMs: 0 }, server: { storage: "leveldb" } });
    const client = rawClient(server);
    await client.handshake({ token: "dev:a" });
    await client.request("room.join_or_create", { room_type: "big", room: "b" });
    const mirror = new Mirror();
    mirror.apply(await client.expect("state.snapshot"));
    client.send("room.message", { room: "b", type: "fill", data: null });
    mirror.apply(await client.expect("state.patch"));
    expect((mirror.state as { blob: string }).blob).toHaveLength(BIG);

    const restarted = await server.restart();
    expect(server.logs.filter((entry) => entry.event === "rooms.save_failed")).toEqual([]);
    const again = rawClient(restarted);
    await again.handshake({ token: "dev:a" });
    await again.request("room.join_or_create", { room_type: "big", room: "b" });
    const after = new Mirror();
    after.apply(await again.expect("state.snapshot"));
    expect((after.state as { blob: string }).blob).toHaveLength(BIG);
  });
});
