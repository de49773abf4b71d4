/**
 * `matchmaking.enqueue {room_type, size}` takes any size from 1 to 1000, whatever the room type's `maxClients`: a
 * match of 3 for a room type of 2 seats is formed and announced to all three (`match.found`), and the last to join its
 * room is refused `room … is full`. The matchmaker hands out matches that cannot be played; it should refuse such an
 * enqueue (or the match's room should seat its participants).
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { type P, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

const pair = defineRoomType<{ players: string[] }>({
  maxClients: 2,
  onCreate() {
    this.state = { players: [] };
  },
  onJoin(player) {
    this.state.players.push(player);
  },
});

describe("rooms: a match bigger than its room", () => {
  it("an enqueue for more players than the room type seats is refused, or every participant of its match is seated", async () => {
    const server = await startRooms({ pair });
    const names = ["ada", "bob", "cy"];
    const clients = await Promise.all(
      names.map(async (name) => {
        const client = rawClient(server);
        await client.handshake({ token: `dev:${name}` });
        return client;
      }),
    );
    const answers = [];
    for (const client of clients) answers.push(await client.request("matchmaking.enqueue", { room_type: "pair", size: 3 }));
    if (answers.every((answer) => answer.ok === false)) return; // refused: no match that cannot be played
    const found = await Promise.all(clients.map(async (client) => (await client.expect("match.found")).p));
    expect(found[0]!.participants).toHaveLength(3);
    const joins: P[] = [];
    for (const client of clients) joins.push(await client.request("room.join_or_create", { room_type: "pair", room: found[0]!.room }));
    // Before: ada and bob are seated, cy gets {ok: false, reason: 'room "…" is full (2 clients)'}.
    expect(joins.map((join) => join.ok)).toEqual([true, true, true]);
  });
});
