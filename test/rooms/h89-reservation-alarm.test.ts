/**
 * The room of a match arms its storage alarm for the time its held seats are free again, so that a room nobody
 * joins comes back to forget them. That alarm stayed armed after every participant had arrived: the room was loaded
 * again for nothing `resumeWindowMs` later (and the room type's own later alarm read as that one at the runtime).
 * Once no seat is held any more, the alarm is cleared, or armed again for what is still due: the type's own here.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { roomPartyName } from "../../src/rooms/room-party.js";
import { ALARMS_KV_NAME } from "../../src/runtime/alarms.js";
import { cleanupAll, pollUntil, type TestServer } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

/** The type's own alarm, when `withAlarm` (an hour ahead, set as the room is created). */
let typeAlarm: number | undefined;

const pair = defineRoomType<{ players: string[] }>({
  maxClients: 2,
  async onCreate(options) {
    this.state = { players: [] };
    if (options.withAlarm) await this.partyRoom.storage.setAlarm((typeAlarm = Date.now() + 3_600_000));
  },
  onJoin(player) {
    this.state.players.push(player);
  },
});

/** ada and bob are matched and both join the match's room (ada first, with `options`); its name. */
async function bothArrived(server: TestServer, options: Record<string, unknown> = {}): Promise<string> {
  const [ada, bob] = [rawClient(server), rawClient(server)];
  await ada.handshake({ token: "dev:ada" });
  await bob.handshake({ token: "dev:bob" });
  for (const client of [ada, bob]) expect((await client.request("matchmaking.enqueue", { room_type: "pair", size: 2 })).ok).toBe(true);
  const room = (await ada.expect("match.found")).p.room as string;
  expect((await ada.request("room.join_or_create", { room_type: "pair", room, options })).ok).toBe(true);
  expect((await bob.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true);
  return room;
}

/** The time of the room's alarm as the runtime stores it (undefined: none). */
function storedAlarm(server: TestServer, room: string): () => Promise<number | undefined> {
  const alarms = server.server.storage.kv(ALARMS_KV_NAME);
  return async () => (await alarms.get<{ time: number }>(`${roomPartyName("pair")}/${room}`))?.time;
}

describe("the alarm of a match's held seats, once every participant arrived", () => {
  it("is cleared: the room is not loaded again for nothing", async () => {
    const server = await startRooms({ pair }, { server: { storage: "leveldb" } });
    const room = await bothArrived(server);
    const alarm = storedAlarm(server, room);
    // Before: armed resumeWindowMs (30 s) ahead for seats nobody waits for any more.
    await pollUntil("the room's alarm to be cleared", async () => ((await alarm()) === undefined ? true : undefined), 2_000);
  });

  it("is armed again for the room type's own alarm, at its time", async () => {
    const server = await startRooms({ pair }, { server: { storage: "leveldb" } });
    const room = await bothArrived(server, { withAlarm: true });
    const alarm = storedAlarm(server, room);
    // Before: the earlier of the two, the held seats' (30 s), stayed the room's alarm.
    await pollUntil("the type's alarm to be the room's", async () => ((await alarm()) === typeAlarm ? true : undefined), 2_000);
  });
});
