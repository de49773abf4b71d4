/**
 * A match's room that goes (disposed, or its creating join refused) while the match still holds a seat: it leaves
 * nothing stored, no alarm, once it is discarded, also when it unloads afterwards (helper 166's attack on the orderings of
 * the rooms' alarm and discard).
 */
import { once } from "node:events";
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType, RoomError } from "../../src/rooms/index.js";
import { roomPartyName } from "../../src/rooms/room-party.js";
import { ALARMS_KV_NAME } from "../../src/runtime/alarms.js";
import { cleanupAll, pollUntil, storageEmptied, waitFor, type TestServer } from "../helpers/server.js";
import { rawClient, startRooms, type RawClient } from "./helpers.js";

afterEach(cleanupAll);

const left = new EventEmitter();

/** A room of two: `end` disposes it; a join with `{refuse: true}` is refused. */
const pair = defineRoomType<{ players: string[] }>({
  maxClients: 2,
  onCreate() {
    this.state = { players: [] };
  },
  onJoin(player, options) {
    if (options.refuse) throw new RoomError("not today");
    this.state.players.push(player);
  },
  onInput({ type }) {
    if (type === "end") this.dispose();
  },
  onLeave(player) {
    left.emit("leave", player);
  },
});

const party = roomPartyName("pair");

/** ada and bob matched: ada's session and the match's room. */
async function matched(server: TestServer): Promise<{ ada: RawClient; room: string }> {
  const [ada, bob] = [rawClient(server), rawClient(server)];
  await ada.handshake({ token: "dev:ada" });
  await bob.handshake({ token: "dev:bob" });
  for (const client of [ada, bob]) expect((await client.request("matchmaking.enqueue", { room_type: "pair", size: 2 })).ok).toBe(true);
  return { ada, room: (await ada.expect("match.found")).p.room as string };
}

/** The room's alarm as the runtime stores it (undefined: none). */
function storedAlarm(server: TestServer, room: string): Promise<unknown> {
  return server.server.storage.kv(ALARMS_KV_NAME).get(`${party}/${room}`);
}

describe("a match's room discarded while a seat is still held", () => {
  // Before: the discard deleted the held seats with the rest, but the directory still held bob's; the unload then armed
  // the alarm that forgets held seats (onStop, #layerDue), storing `yparty.rooms.alarm`: the empty room came back at
  // the seats' time, for nothing stored.
  for (const storage of ["leveldb", "memory"] as const) {
    it(`disposed with ada gone and bob not in yet, it unloads leaving no key and no alarm (${storage})`, async () => {
      const server = await startRooms({ pair }, { server: { storage } });
      const { ada, room } = await matched(server);
      expect((await ada.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true);
      ada.send("room.message", { room, type: "end", data: null });
      const gone = once(left, "leave");
      expect((await ada.request("room.leave", { room })).ok).toBe(true);
      await waitFor(gone, "ada's onLeave");
      await storageEmptied(server, `${party}/${room}`);
      await pollUntil("the room to unload", async () => ((await server.server.unloadIfIdle(party, room)) ? true : undefined));
      expect([...(await server.server.storage.kv(`${party}/${room}`).list()).keys()]).toEqual([]);
      expect(await storedAlarm(server, room)).toBeUndefined();
    });
  }
});

describe("a match's room whose creating join was refused", () => {
  // Before: held back by bob's held seat as it was refused, the room stayed once that seat was free: its alarm brought it
  // back then (or found it loaded), forgot the held seats, and discarded nothing: listed empty while loaded, and
  // `yparty.rooms.state` stored for good, as a room created for a join none got into is not (rooms/h139-refused-join-room-goes).
  // Restarted in between, the room is back by its alarm and must still know that no join got into it.
  for (const restarted of [false, true]) {
    it(`goes once the seats the match held are free, nobody having joined${restarted ? " (a restart in between)" : ""}`, async () => {
      const options = { limits: { seatReservationMs: 400 }, server: { storage: "leveldb" as const } };
      let server = await startRooms({ pair }, options);
      const { ada, room } = await matched(server);
      expect((await ada.request("room.join_or_create", { room_type: "pair", room, options: { refuse: true } })).ok).toBe(false);
      if (restarted) server = await server.restart();
      await storageEmptied(server, `${party}/${room}`);
      await pollUntil("the room to unload", async () => ((await server.server.unloadIfIdle(party, room)) ? true : undefined));
      expect([...(await server.server.storage.kv(`${party}/${room}`).list()).keys()]).toEqual([]);
      expect(await storedAlarm(server, room)).toBeUndefined();
    });
  }
});
