/**
 * helper 58: an onAlarm that was running when a reload stopped its instance fails on the refused storage
 * (ERR_ROOM_STOPPED): the failure is the stop's, not the handler's, yet it is logged as a failed onAlarm and retried
 * `alarmRetryBaseMs` later (a backoff meant for a handler that throws) instead of running on the new code at once.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("helper 58: an onAlarm cut off by a reload", () => {
  it("runs again on the new code at once, not as a failure retried a minute later", async () => {
    const inAlarm = deferred<void>();
    const releaseAlarm = deferred<void>();
    class V1 implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest() {
        await this.room.storage.setAlarm(Date.now() + 10);
        return new Response("armed");
      }
      async onAlarm() {
        inAlarm.resolve();
        await releaseAlarm.promise; // e.g. a fetch to another service
        const runs = ((await this.room.storage.get<number>("runs")) ?? 0) + 1; // refused: the instance stopped
        await this.room.storage.put("runs", runs);
      }
    }
    const v2Fired = deferred<void>();
    class V2 implements Party.Server {
      onAlarm() {
        v2Fired.resolve();
      }
    }
    const { server, url, logs } = await startServer({ main: V1 }, { storage: "memory", limits: { alarmRetryBaseMs: 60_000 } });
    expect(await (await fetch(`${url}/party/a`)).text()).toBe("armed");
    await inAlarm.promise;
    await server.reload({ main: V2 });
    releaseAlarm.resolve();
    const ran = await waitFor(v2Fired.promise, "the alarm on the new code", 3_000).then(
      () => true,
      () => false,
    );
    expect(logs.filter((entry) => entry.event === "alarm.retry_scheduled").map((entry) => entry.code)).toEqual([]);
    expect(ran).toBe(true);
  });
});
