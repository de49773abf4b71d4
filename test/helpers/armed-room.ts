/**
 * Parties for tests of what a stop does to an alarm waiting for its room (test/runtime/h58-*): a room a request arms
 * (an alarm 20 ms away), whose next start waits for `startWaits` (and then reads its storage, which a stop refuses);
 * and a room whose `onAlarm` says it ran.
 */
import type * as Party from "../../src/runtime/index.js";
import { deferred } from "./server.js";

/**
 * A party whose first request sets an alarm; every start after that resolves `started`, then awaits `startWaits`.
 * The instance that set it sets it again when it fires there: the tests unload it (a reload, or `idleUnloadMs: 1`) for
 * the alarm to start the next instance, and on a loaded machine the 20 ms ran out first (the alarm ran on it, nothing
 * started, and the test waited for `started` to its timeout).
 */
export function armedRoom(startWaits: Promise<unknown>) {
  const started = deferred<void>();
  let armed = false;
  class Armed implements Party.Server {
    #armedHere = false;
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
      this.#armedHere = true;
      return new Response("armed");
    }
    async onAlarm() {
      if (this.#armedHere) await this.room.storage.setAlarm(Date.now() + 20);
    }
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
