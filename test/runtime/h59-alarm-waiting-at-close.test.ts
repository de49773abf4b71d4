/**
 * helper 59: an alarm waiting for a room's turn when the room stops is handed to the next instance (RoomStopped),
 * "not counted failed". At a server close the next instance is the restarted process, but `withRoom` re-dispatches to
 * a closed registry (ERR_SHUTTING_DOWN): the firing counts as a failed onAlarm, and its settling (`#retryLater`) runs
 * after `alarms.stop()` stopped being waited for — against storage the close is closing. Here it logs an error
 * (alarm.settle_failed: "the storage is closed") on a clean deploy; with a store that closes more slowly, the put
 * lands: the alarm is backed off `alarmRetryBaseMs` with a retry used up (dropped once retries run out), although no
 * onAlarm ever ran.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, deferred, onCleanup, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("helper 59: an alarm waiting for a stuck onStart at a server close", () => {
  it("fires on the restarted server at once, not backed off as a failed onAlarm", async () => {
    const started = deferred<void>();
    const never = deferred<void>(); // e.g. a fetch to a service that does not answer
    onCleanup(() => never.resolve());
    let armed = false;
    class V1 implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onStart() {
        if (!armed) return;
        started.resolve();
        await never.promise;
      }
      async onRequest() {
        await this.room.storage.setAlarm(Date.now() + 30);
        armed = true;
        return new Response("armed");
      }
      onAlarm() {}
    }
    const fired = deferred<void>();
    class V2 implements Party.Server {
      onAlarm() {
        fired.resolve();
      }
    }
    const limits = { idleUnloadMs: 1, shutdownTimeoutMs: 300, alarmRetryBaseMs: 60_000 };
    const first = await startServer({ main: V1 }, { storage: "leveldb", limits });
    expect(await (await fetch(`${first.url}/party/a`)).text()).toBe("armed");
    await first.server.reload({ main: V1 }); // unloaded: the alarm starts a new instance, whose onStart is stuck
    await started.promise;
    const second = await first.restart({ main: V2 }); // the process restarts (a deploy)
    const ran = await waitFor(fired.promise, "the alarm on the restarted server", 3_000).then(
      () => true,
      () => false,
    );
    const alarmLogs = [...first.logs, ...second.logs].filter((entry) => entry.event.startsWith("alarm.")).map((entry) => `${entry.event} ${entry.code}`);
    expect(alarmLogs).toEqual([]);
    expect(ran).toBe(true);
  });
});
