/**
 * h56 (adversarial): a room stopping (reload, server close) waits for its storage calls "or after `ms`"
 * (`PendingStorageOps.settled`, bounded by shutdownTimeoutMs) before its storage refuses them. A transaction whose
 * closure awaits something slow (a fetch inside the transaction) is one call that does not settle: the wait is not
 * bounded, and the reload (`yparty dev` on a code change) or the server's close hangs as long as it does.
 */
import { afterEach, describe, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("h56 a room stopping while a transaction of it waits", () => {
  for (const how of ["reload", "close"] as const) {
    it(`the ${how} ends within shutdownTimeoutMs (200 ms) and more, not when the transaction does`, async () => {
      const held = deferred<void>();
      const reached = deferred<void>();
      class V1 implements Party.Server {
        constructor(readonly room: Party.Room) {}
        async onRequest() {
          await this.room.storage.transaction(async (txn) => {
            reached.resolve();
            await held.promise; // e.g. a fetch to another service that hangs
            await txn.put("value", "old");
          });
          return new Response("ok");
        }
      }
      const { server, url } = await startServer({ main: V1 }, { storage: "memory", limits: { shutdownTimeoutMs: 200 } });
      const first = fetch(`${url}/party/r`, { method: "POST", body: "old" }).catch(() => undefined);
      await reached.promise;
      try {
        const stopping = how === "reload" ? server.reload({ main: V1 }) : server.close();
        await waitFor(stopping, `the ${how}`, 3_000);
      } finally {
        held.resolve();
        await first;
      }
    });
  }
});
