/**
 * The room of a match holds a seat for each participant until they join, for `seatReservationMs`, however long a
 * dropped session is kept (`resumeWindowMs`, which may be 0). Before, the hold was the resume window: with
 * `resumeWindowMs: 0` the seats were free at once, and a stranger took the seat of a participant on its way.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, type TestServer } from "../helpers/server.js";
import { rawClient, startRooms, type RawClient } from "./helpers.js";

afterEach(cleanupAll);

const pair = defineRoomType<Record<string, never>>({ maxClients: 2 });

async function player(server: TestServer, name: string): Promise<RawClient> {
  const client = rawClient(server);
  await client.handshake({ token: `dev:${name}` });
  return client;
}

describe("a match made with no resume window", () => {
  it("holds its participants' seats: a stranger is refused, both participants come in", async () => {
    const server = await startRooms({ pair }, { limits: { resumeWindowMs: 0 }, server: { storage: "memory" } });
    const [ada, bob, carl] = [await player(server, "ada"), await player(server, "bob"), await player(server, "carl")];
    for (const client of [ada, bob]) expect((await client.request("matchmaking.enqueue", { room_type: "pair", size: 2 })).ok).toBe(true);
    const room = (await ada.expect("match.found")).p.room as string;
    expect((await ada.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true);
    expect(await carl.request("room.join_or_create", { room_type: "pair", room })).toMatchObject({ ok: false });
    expect((await bob.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true);
  });
});
