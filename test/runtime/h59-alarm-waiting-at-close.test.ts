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
import { alarmedRoom, armedRoom } from "../helpers/armed-room.js";
import { cleanupAll, deferred, onCleanup, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("helper 59: an alarm waiting for a stuck onStart at a server close", () => {
  it("fires on the restarted server at once, not backed off as a failed onAlarm", async () => {
    const never = deferred<void>(); // e.g. a fetch to a service that does not answer
    onCleanup(() => never.resolve());
    const { Armed: V1, started } = armedRoom(never.promise);
    const { Alarmed: V2, fired } = alarmedRoom();
    const limits = { idleUnloadMs: 1, shutdownTimeoutMs: 300, alarmRetryBaseMs: 60_000 };
    const first = await startServer({ main: V1 }, { storage: "leveldb", limits });
    expect(await (await fetch(`${first.url}/party/a`)).text()).toBe("armed");
    await first.server.reload({ main: V1 }); // unloaded: the alarm starts a new instance, whose onStart is stuck
    await started;
    const second = await first.restart({ main: V2 }); // the process restarts (a deploy)
    const ran = await waitFor(fired, "the alarm on the restarted server", 3_000).then(
      () => true,
      () => false,
    );
    const alarmLogs = [...first.logs, ...second.logs].filter((entry) => entry.event.startsWith("alarm.")).map((entry) => `${entry.event} ${entry.code}`);
    expect(alarmLogs).toEqual([]);
    expect(ran).toBe(true);
  });
});
