/**
 * helper 58: `LiveRoom.alarm` checks for the stop only once `#ready()` resolved. When the stopped instance's onStart
 * fails because of the stop (it reads storage after it: ERR_ROOM_STOPPED), `#ready()` rejects and the alarm is
 * counted as failed (retried `alarmRetryBaseMs` later) instead of being handed to the new instance — while a request
 * in the same spot is handed over (`request` catches the start failure and checks for the stop first).
 */
import { afterEach, describe, expect, it } from "vitest";
import { alarmedRoom, armedRoom } from "../helpers/armed-room.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("helper 58: an alarm waiting for an onStart that the stop makes fail", () => {
  it("runs on the reload's new code at once, not as a failed onAlarm retried a minute later", async () => {
    const releaseStart = deferred<void>();
    const { Armed: V1, started } = armedRoom(releaseStart.promise);
    const { Alarmed: V2, fired: v2Fired } = alarmedRoom();
    const { server, url, logs } = await startServer({ main: V1 }, { storage: "memory", limits: { idleUnloadMs: 1, alarmRetryBaseMs: 60_000 } });
    expect(await (await fetch(`${url}/party/a`)).text()).toBe("armed");
    await server.reload({ main: V1 }); // unloaded: the alarm starts a new instance
    await started;
    await server.reload({ main: V2 });
    releaseStart.resolve();
    const ran = await waitFor(v2Fired, "the alarm on the new code", 3_000).then(
      () => true,
      () => false,
    );
    expect(logs.filter((entry) => entry.event === "alarm.retry_scheduled").map((entry) => entry.code)).toEqual([]);
    expect(ran).toBe(true);
  });
});
