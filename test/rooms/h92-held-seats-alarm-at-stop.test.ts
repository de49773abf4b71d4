/**
 * A match's room that stops with a seat kept (a player was in it) armed its alarm for that seat's time only, in place
 * of the time its held seats (a participant not yet in) are free. With the kept seat due first, the room came back
 * for it, the alarm was spent, and the idle unload that followed armed nothing: `yparty.rooms.reserved` stayed
 * stored, seats long free, until something loaded the room again (if ever). The room now arms the earlier of the two
 * at each stop.
 *
 * A kept seat due before the held seats takes a shorter `resumeWindowMs` after a restart (a config change): the seat
 * is timed by the room that comes back, the held seats were timed when the match was made.
 */
import { EventEmitter, once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { RESERVED_KEY, type Reservation } from "../../src/rooms/match-seats.js";
import { roomPartyName } from "../../src/rooms/room-party.js";
import { ALARMS_KV_NAME } from "../../src/runtime/alarms.js";
import { cleanupAll, pollUntil, waitFor, type TestServer } from "../helpers/server.js";
import { rawClient, startRooms, type RawClient } from "./helpers.js";

afterEach(cleanupAll);

const leaves = new EventEmitter();

const pair = defineRoomType<{ players: string[] }>({
  maxClients: 3,
  onCreate() {
    this.state = { players: [] };
  },
  onJoin(player) {
    this.state.players.push(player);
  },
  onLeave(player) {
    this.state.players = this.state.players.filter((name) => name !== player);
    leaves.emit(player);
  },
});

/**
 * A server whose seats are kept `resumeWindowMs` and whose matches hold their seats 4 s; after `previous` (stopped: a
 * restart, its directory empty), on its folder.
 */
async function serve(resumeWindowMs: number, previous?: TestServer): Promise<TestServer> {
  await previous?.stop();
  const dir = previous?.dir ? { dir: previous.dir } : {};
  return startRooms({ pair }, { limits: { resumeWindowMs, seatReservationMs: 4_000 }, server: { storage: "leveldb", ...dir, limits: { idleUnloadMs: 20 } } });
}

async function player(server: TestServer, name: string): Promise<RawClient> {
  const client = rawClient(server);
  await client.handshake({ token: `dev:${name}` });
  return client;
}

describe("a match's room stopped with a seat kept due before its held seats are free", () => {
  it("comes back when they are free and deletes them, after an idle unload in between", async () => {
    let server = await serve(4_000);
    const [ada, bob] = [await player(server, "ada"), await player(server, "bob")];
    for (const client of [ada, bob]) expect((await client.request("matchmaking.enqueue", { room_type: "pair", size: 2 })).ok).toBe(true);
    const room = (await ada.expect("match.found")).p.room as string;
    expect((await ada.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true); // bob never comes
    const name = `${roomPartyName("pair")}/${room}`;
    const stored = () => server.server.storage.kv(name).get<Reservation>(RESERVED_KEY);
    const { until } = await pollUntil("bob's held seat to be stored", async () => ((await stored())?.players.join() === "bob" ? await stored() : undefined));

    // Restarted with a shorter window, the room is loaded by carl (in and out): ada's kept seat is due in 1.5 s, long
    // before bob's held seat is free (4 s from the match: seatReservationMs).
    server = await serve(1_500, server);
    const adaLeft = once(leaves, "ada");
    const carl = await player(server, "carl");
    expect((await carl.request("room.join_or_create", { room_type: "pair", room })).ok).toBe(true);
    const carlLeft = once(leaves, "carl");
    expect((await carl.request("room.leave", { room })).ok).toBe(true);
    await waitFor(carlLeft, "carl's leave");
    server = await serve(1_500, server); // stops with ada's seat kept, bob's held

    // Back by the alarm when ada's seat is due: she leaves; the room unloads idle (20 ms).
    await waitFor(adaLeft, "ada's kept seat to expire", 3_000);
    const alarms = server.server.storage.kv(ALARMS_KV_NAME);
    // Before: no alarm was left, and bob's held seat stayed stored for good.
    await pollUntil(
      "the room's alarm to be armed for bob's held seat",
      async () => ((await alarms.get<{ time: number }>(name))?.time === until ? true : undefined),
      2_000,
    );
    await pollUntil("bob's held seat to be deleted", async () => ((await stored()) === undefined ? true : undefined), until - Date.now() + 2_000);
  });
});
