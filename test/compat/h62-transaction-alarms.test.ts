/**
 * `room.storage` on PartyKit is the Durable Object storage, and its `transaction(closure)` hands the closure a
 * `DurableObjectTransaction`, which has `getAlarm`, `setAlarm` and `deleteAlarm` besides get/put/delete/list/rollback
 * (@cloudflare/workers-types, `interface DurableObjectTransaction`). yparty's transaction object has no alarm calls:
 * `txn.setAlarm(...)` throws "is not a function" and the request that scheduled work answers 500.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("room.storage.transaction(closure): the Durable Object transaction's alarm calls", () => {
  it("setAlarm inside a transaction schedules onAlarm; getAlarm reads it; deleteAlarm cancels", async () => {
    const fired = deferred<string>();
    class Reminders implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest(req: Party.Request) {
        const cancel = new URL(req.url).searchParams.has("cancel");
        const seen = await this.room.storage.transaction(async (txn) => {
          const alarms = txn;
          await txn.put("reminder", "water the plants");
          await alarms.setAlarm(Date.now() + (cancel ? 60_000 : 20));
          const pending = await alarms.getAlarm();
          if (cancel) await alarms.deleteAlarm();
          return pending === null ? "none" : "pending";
        });
        return new Response(`${seen} ${String((await this.room.storage.getAlarm()) !== null)}`);
      }
      async onAlarm() {
        fired.resolve(String(await this.room.storage.get("reminder")));
      }
    }
    const { url } = await startServer({ main: Reminders }, { storage: "memory" });

    const cancelled = await fetch(`${url}/parties/main/cancelled?cancel`);
    // Before: 500 ERR_INTERNAL (TypeError: txn.setAlarm is not a function).
    expect(await cancelled.text()).toBe("pending false");

    const scheduled = await fetch(`${url}/parties/main/scheduled`);
    expect(await scheduled.text()).toBe("pending true");
    expect(await waitFor(fired.promise, "onAlarm of the alarm set in a transaction")).toBe("water the plants");
  });

  it("an alarm set in a transaction that rolls back or throws is not set", async () => {
    class Undone implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest(req: Party.Request) {
        const throws = new URL(req.url).searchParams.has("throw");
        await this.room.storage
          .transaction(async (txn) => {
            await txn.setAlarm(Date.now() + 60_000);
            if (throws) throw new Error("changed my mind");
            txn.rollback();
          })
          .catch(() => {});
        return new Response(String(await this.room.storage.getAlarm()));
      }
    }
    const { url } = await startServer({ main: Undone }, { storage: "memory" });
    expect(await (await fetch(`${url}/parties/main/rolled-back`)).text()).toBe("null");
    expect(await (await fetch(`${url}/parties/main/thrown?throw`)).text()).toBe("null");
  });
});
