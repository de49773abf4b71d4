/**
 * helper 58: server.close() waits for the alarms already firing (`alarms.stop()` drains them) without a bound, before
 * the rooms are even stopped. An alarm whose onAlarm awaits what never comes, or one waiting for the turn of a room
 * whose onStart is stuck, holds close() forever: every other bounded step (`limits.shutdownTimeoutMs`) is moot.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { armedRoom } from "../helpers/armed-room.js";
import { cleanupAll, deferred, onCleanup, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("helper 58: server.close() while an alarm fires", () => {
  it("close() finishes within the shutdown bound while onAlarm awaits what never comes", async () => {
    const fired = deferred<void>();
    const never = deferred<void>();
    onCleanup(() => never.resolve());
    class Main implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest() {
        await this.room.storage.setAlarm(Date.now() + 10);
        return new Response("armed");
      }
      async onAlarm() {
        fired.resolve();
        await never.promise; // e.g. a fetch with no timeout
      }
    }
    const { server, url } = await startServer({ main: Main }, { storage: "memory", limits: { shutdownTimeoutMs: 300 } });
    expect(await (await fetch(`${url}/party/a`)).text()).toBe("armed");
    await waitFor(fired.promise, "the alarm");
    await waitFor(server.close(), "server.close()", 3_000);
  });

  it("close() finishes within the shutdown bound while an alarm waits for a stuck onStart", async () => {
    const never = deferred<void>();
    onCleanup(() => never.resolve());
    const { Armed: Main, started } = armedRoom(never.promise);
    const { server, url } = await startServer({ main: Main }, { storage: "memory", limits: { idleUnloadMs: 1, shutdownTimeoutMs: 300 } });
    expect(await (await fetch(`${url}/party/a`)).text()).toBe("armed");
    await server.reload({ main: Main }); // unloaded: the alarm starts a new instance, whose onStart is stuck
    await started;
    await waitFor(server.close(), "server.close()", 3_000);
  });
});
