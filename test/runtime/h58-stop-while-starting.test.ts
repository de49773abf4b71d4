/**
 * helper 58: RoomStopped is thrown only once the stopped instance's turn comes (`#ready()` resolved): what waits for
 * the turn of a room whose onStart (or a blockConcurrencyWhile callback) is still running at the stop waits for that
 * old code first. A slow start of the old code holds a request or an alarm however long it takes (forever if it never
 * settles), although the reload's new instance could serve it at once.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { alarmedRoom, armedRoom } from "../helpers/armed-room.js";
import { cleanupAll, deferred, onCleanup, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("helper 58: a stop while the old code's onStart still runs", () => {
  it("an HTTP request waiting for a stuck onStart is answered by the reload's new code", async () => {
    const started = deferred<void>();
    const never = deferred<void>(); // e.g. a fetch to a service that does not answer
    onCleanup(() => never.resolve());
    class V1 implements Party.Server {
      async onStart() {
        started.resolve();
        await never.promise;
      }
      onRequest() {
        return new Response("v1");
      }
    }
    class V2 implements Party.Server {
      onRequest() {
        return new Response("v2");
      }
    }
    const { server, url } = await startServer({ main: V1 }, { storage: "memory", limits: { shutdownTimeoutMs: 500 } });
    const pending = fetch(`${url}/party/stuck`);
    await started.promise;
    await server.reload({ main: V2 }); // the fix: the new code
    const response = await waitFor(pending, "the answer to the request that waited for the old onStart", 3_000);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("v2");
  });

  it("an alarm waiting for a stuck onStart runs on the reload's new code", async () => {
    const never = deferred<void>();
    onCleanup(() => never.resolve());
    const { Armed: V1, started } = armedRoom(never.promise);
    const { Alarmed: V2, fired: v2Fired } = alarmedRoom();
    const { server, url } = await startServer({ main: V1 }, { storage: "memory", limits: { idleUnloadMs: 1, shutdownTimeoutMs: 500 } });
    expect(await (await fetch(`${url}/party/a`)).text()).toBe("armed");
    await server.reload({ main: V1 }); // unload it: the alarm starts a new instance, whose onStart is stuck
    await started;
    await server.reload({ main: V2 });
    await waitFor(v2Fired, "the alarm on the new code", 3_000);
  });
});
