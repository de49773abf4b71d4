/**
 * Adversarial (helper adv46): `YpartyServer.deleteRoomData` (the admin DELETE, `yparty delete`) of a room whose alarm
 * comes due while the delete runs.
 *
 * What it shows: 24 rooms each with a key and an alarm, deleted around their alarm's time (a few ms before to a few
 * after). Every delete resolves `{ existed: true }`, and afterwards every room holds `{"alarm":"ran"}`: the deleted
 * room was loaded again and its `onAlarm` ran on it after the delete (24 of 24). The alarm's timer fired while the
 * delete held the room (unloading it, then deleting): `AlarmScheduler.#fire` (src/runtime/alarms.ts) checks the stored
 * record and marks it running *before* `this.fire(party, roomId)`, whose `registry.withRoom` waits for
 * `whileAtRest`'s hold; the delete's `alarm.delete()` (src/runtime/server.ts, deleteRoomData) removes the record and
 * disarms the timer, but nothing stops an alarm already past that check, so once the hold ends the room is created
 * afresh and `onAlarm` runs. (With a room whose onAlarm re-arms itself the deleted room lives on for good.)
 * What it should do: once the delete resolved, nothing of the room runs or is written by the runtime: an alarm that
 * fired meanwhile is dropped (re-checked once the room is had, or the delete waits for alarms already firing and
 * deletes after them).
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

/** Arms an alarm at `?at=<epoch ms>` (keeping a note); lists its storage on GET; its alarm writes "ran". */
class Timed implements Party.Server {
  constructor(readonly room: Party.Room) {}
  async onRequest(request: Party.Request): Promise<Response> {
    const at = new URL(request.url).searchParams.get("at");
    if (at !== null) {
      await this.room.storage.put("note", "kept");
      await this.room.storage.setAlarm(Number(at));
      return new Response("armed");
    }
    return Response.json(Object.fromEntries(await this.room.storage.list()));
  }
  async onAlarm(): Promise<void> {
    await this.room.storage.put("alarm", "ran");
  }
}

describe("delete while the room's alarm fires", () => {
  it("once deleteRoomData resolved, the deleted room's alarm does not run and write it again", async () => {
    const server = await startServer({ main: Timed });
    const rooms = Array.from({ length: 24 }, (_, i) => `timed-${i}`);
    const at = Date.now() + 400;
    for (const room of rooms) expect(await (await fetch(`${server.url}/parties/main/${room}?at=${at}`)).text()).toBe("armed");
    // Each room deleted around its alarm's time, a millisecond apart: some just before, some as it fires.
    const deletes = rooms.map(
      (room, i) =>
        new Promise<{ room: string; existed: boolean | undefined }>((resolve, reject) => {
          setTimeout(
            () => server.server.deleteRoomData("main", room).then((outcome) => resolve({ room, existed: outcome?.existed }), reject),
            Math.max(0, at - Date.now() + (i % 8) - 2),
          );
        }),
    );
    const outcomes = await Promise.all(deletes);
    // Every alarm settled: none armed or running any more (deleted, or ran before the delete).
    const revived: unknown[] = [];
    for (const { room, existed } of outcomes) {
      // Let any alarm already under way finish: a GET waits for the room's turn.
      const stored = await (await fetch(`${server.url}/parties/main/${room}`)).json();
      if (existed !== undefined && JSON.stringify(stored) !== "{}") revived.push({ room, existed, stored });
    }
    expect(revived).toEqual([]);
  });
});
