/**
 * `match.found` names a new room that is created when the first participant joins it. From then on the directory
 * lists it like any room, with its free seats, so an unnamed `room.join_or_create` of the same type (a player who
 * just wants any room) is seated in it: the seats the match was made for are given away, and the last participant
 * to arrive is refused `room … is full`. The matchmaker promised those seats to the participants.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { type P, type RawClient, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

const arena = defineRoomType<{ players: string[] }>({
  maxClients: 2,
  onCreate() {
    this.state = { players: [] };
  },
  onJoin(player) {
    this.state.players.push(player);
  },
});

async function player(server: Parameters<typeof rawClient>[0], name: string): Promise<RawClient> {
  const client = rawClient(server);
  await client.handshake({ token: `dev:${name}` });
  return client;
}

describe("rooms: the room of a match", () => {
  it("an unnamed join does not take the seat of a participant who has not arrived yet", async () => {
    const server = await startRooms({ arena });
    const ada = await player(server, "ada");
    const bob = await player(server, "bob");
    expect((await ada.request("matchmaking.enqueue", { room_type: "arena", size: 2 })).ok).toBe(true);
    expect((await bob.request("matchmaking.enqueue", { room_type: "arena", size: 2 })).ok).toBe(true);
    const found = (await ada.expect("match.found")).p;
    expect((await bob.expect("match.found")).p.room).toBe(found.room);
    expect(found.participants).toEqual(["ada", "bob"]);

    expect(await ada.request("room.join_or_create", { room_type: "arena", room: found.room })).toMatchObject({ ok: true });
    // Somebody else wants any arena meanwhile.
    const carol = await player(server, "carol");
    const carolJoin = await carol.request("room.join_or_create", { room_type: "arena" });
    expect(carolJoin.ok).toBe(true);
    // Before: carol was seated in the match's room (listed with a free seat), and bob was refused "full".
    const bobJoin = await bob.request("room.join_or_create", { room_type: "arena", room: found.room });
    expect(bobJoin as P, "bob, a participant of the match, joins its room").toMatchObject({ ok: true, room: found.room });
    expect(carolJoin.room).not.toBe(found.room);
  });
});
