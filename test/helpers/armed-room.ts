/**
 * Parties for tests of what a stop does to an alarm waiting for its room (test/runtime/h58-*): a room a request arms
 * (an alarm 20 ms away), whose next start waits for `startWaits` (and then reads its storage, which a stop refuses);
 * and a room whose `onAlarm` says it ran.
 */
import type * as Party from "../../src/runtime/index.js";
import { deferred } from "./server.js";

/** A party whose first request sets an alarm; every start after that resolves `started`, then awaits `startWaits`. */
export function armedRoom(startWaits: Promise<unknown>) {
  const started = deferred<void>();
  let armed = false;
  class Armed implements Party.Server {
    constructor(readonly room: Party.Room) {}
    async onStart() {
      if (!armed) return;
      started.resolve();
      await startWaits; // e.g. a fetch of the room's config
      await this.room.storage.get("config"); // refused if the instance stopped meanwhile
    }
    async onRequest() {
      await this.room.storage.setAlarm(Date.now() + 20);
      armed = true;
      return new Response("armed");
    }
    onAlarm() {}
  }
  return { Armed, started: started.promise };
}

/** A party whose `onAlarm` resolves `fired`. */
export function alarmedRoom() {
  const fired = deferred<void>();
  class Alarmed implements Party.Server {
    onAlarm() {
      fired.resolve();
    }
  }
  return { Alarmed, fired: fired.promise };
}
