/**
 * The seats a room holds for a match's participants lived only in memory until the first participant joined: a
 * restart between `match.found` and that join freed them, and a stranger's join of the room took one, so the last
 * participant was refused "full". The room stores them as the match is made, before `match.found` goes out.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

const pair = { pair: defineRoomType({ maxClients: 2 }) };

describe("a match found just before a restart", () => {
  it("keeps its participants' seats: a stranger is refused, both participants join", async () => {
    const server = await startRooms(pair, { server: { storage: "leveldb" } });
    const [ada, bob] = [rawClient(server), rawClient(server)];
    await ada.handshake({ token: "dev:ada" });
    await bob.handshake({ token: "dev:bob" });
    for (const client of [ada, bob]) expect((await client.request("matchmaking.enqueue", { room_type: "pair", size: 2 })).ok).toBe(true);
    const room = (await ada.expect("match.found")).p.room as string;
    await bob.expect("match.found");

    await server.stop();
    const again = await startRooms(pair, { server: { storage: "leveldb", dir: server.dir! } });
    const [carl, adaAgain, bobAgain] = [rawClient(again), rawClient(again), rawClient(again)];
    await Promise.all([carl.handshake({ token: "dev:carl" }), adaAgain.handshake({ token: "dev:ada" }), bobAgain.handshake({ token: "dev:bob" })]);
    expect(await carl.request("room.join_or_create", { room_type: "pair", room })).toMatchObject({ ok: false, reason: expect.stringMatching(/full/) });
    expect((await adaAgain.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true);
    expect((await bobAgain.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true);
  });
});
