/**
 * A room's storage alarm is shared by its room type and the rooms layer: a room stopped with seats kept comes back
 * by itself when they are due, joined again or not, and the type's own alarm still fires once, at its time.
 */
import { EventEmitter, once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { STATE_KEY } from "../../src/rooms/room-party.js";
import { cleanupAll, waitFor, type TestServer } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

/** What the rooms' hooks did, as events: `leave` (player), `alarm` (the time it fired). */
const hooks = new EventEmitter();

/** `n` leaves, their players in order. */
function leaves(n: number): Promise<string[]> {
  const players: string[] = [];
  return new Promise((resolve) => {
    const onLeave = (player: string) => {
      players.push(player);
      if (players.length < n) return;
      hooks.off("leave", onLeave);
      resolve(players);
    };
    hooks.on("leave", onLeave);
  });
}

/** Seats its players; `end` makes it go once nobody is seated (dispose); `alarm` sets its alarm `data` ms ahead. */
const table = defineRoomType<{ seated: string[]; ended: boolean }>({
  onCreate() {
    this.state = { seated: [], ended: false };
  },
  onJoin(player) {
    if (!this.state.seated.includes(player)) this.state.seated.push(player);
  },
  onLeave(player) {
    this.state.seated = this.state.seated.filter((name) => name !== player);
    hooks.emit("leave", player);
    if (this.state.ended && this.state.seated.length === 0) this.dispose();
  },
  async onInput({ type, data }) {
    if (type === "end") this.state.ended = true;
    if (type === "alarm") await this.partyRoom.storage.setAlarm(Date.now() + (data as number));
  },
  onAlarm() {
    hooks.emit("alarm", Date.now());
  },
});

async function seat(server: TestServer, player: string, room: string) {
  const client = rawClient(server);
  await client.handshake({ token: `dev:${player}` });
  expect((await client.request("room.join_or_create", { room_type: "table", room })).ok).toBe(true);
  await client.expect("state.snapshot");
  return client;
}

async function storageEmptied(server: TestServer, name: string): Promise<void> {
  const kv = server.server.storage.kv(name);
  await waitFor(
    (async () => {
      while ((await kv.list()).size > 0) await new Promise((resolve) => setImmediate(resolve));
    })(),
    `the storage of ${name} to be deleted`,
  );
}

describe("rooms: the alarm shared by the room type and the kept seats", () => {
  it("a room stopped with players seated comes back when their seats are due: they leave, and a disposed room goes, with nobody joining", async () => {
    const server = await startRooms({ table }, { limits: { resumeWindowMs: 200 }, server: { storage: "leveldb" } });
    const ada = await seat(server, "ada", "t1");
    await seat(server, "bob", "t1");
    ada.send("room.message", { room: "t1", type: "end", data: null });
    await ada.expect("state.patch", (p) => p.ops.some((op: { path: string }) => op.path === "/ended"));
    const left = leaves(2);
    const restarted = await server.restart();
    // Before: the seats were kept until a join loaded the room again: no onLeave, its storage kept for good.
    expect((await waitFor(left, "both seats to expire with nobody joining")).sort()).toEqual(["ada", "bob"]);
    await storageEmptied(restarted, "rooms.table/t1"); // the last leave disposed it
  });

  it("a room unloaded again before its kept seats are due keeps their time: an idle unload does not start it over", async () => {
    const server = await startRooms({ table }, { limits: { resumeWindowMs: 300 }, server: { storage: "leveldb", limits: { idleUnloadMs: 20 } } });
    await seat(server, "ada", "t2");
    const left = leaves(1);
    await server.restart();
    // Back by its alarm, the seat gets its time; the room unloads idle long before it and comes back when it is due.
    // (Timed again from each load, the seat would never expire: each load is followed by an unload after 20 ms.)
    expect(await waitFor(left, "ada's seat to expire though the room unloads meanwhile")).toEqual(["ada"]);
  });

  it("the room type's own alarm fires at its time, not at the seats'", async () => {
    const server = await startRooms({ table }, { limits: { resumeWindowMs: 150 }, server: { storage: "leveldb" } });
    const ada = await seat(server, "ada", "t3");
    await seat(server, "bob", "t3");
    ada.send("room.message", { room: "t3", type: "alarm", data: 800 });
    const setAt = Date.now();
    await waitFor(
      (async () => {
        while ((await server.server.storage.kv("rooms.table/t3").get(STATE_KEY)) === undefined) await new Promise((resolve) => setImmediate(resolve));
      })(),
      "the room to be stored",
    );
    const alarms: number[] = [];
    const onAlarm = (at: number) => alarms.push(at);
    hooks.on("alarm", onAlarm);
    try {
      const seatsGone = leaves(2);
      const fired = once(hooks, "alarm");
      await server.restart();
      await waitFor(seatsGone, "the seats to expire (at 150 ms, before the type's alarm)");
      expect(alarms).toEqual([]); // the seats' alarm was not the type's
      const [firedAt] = await waitFor(fired, "the type's alarm");
      expect(firedAt).toBeGreaterThanOrEqual(setAt + 800 - 50);
    } finally {
      hooks.off("alarm", onAlarm);
    }
  });
});
