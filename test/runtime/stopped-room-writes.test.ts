/**
 * A room's code still running after its room stopped (a reload, `yparty dev`, swapped the code while a request of the
 * old instance was in flight) must not write under the instance that took its place: that write would replace an
 * acknowledged one of the new instance. As a Durable Object that was reset, its storage refuses (ERR_ROOM_STOPPED).
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, deferred, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

/** The reload's new code: a POST stores its body as "value", a GET answers it. */
class V2 implements Party.Server {
  constructor(readonly room: Party.Room) {}
  async onRequest(request: Party.Request) {
    if (request.method === "POST") {
      await this.room.storage.put("value", await request.text());
      return new Response("ok");
    }
    return new Response(String(await this.room.storage.get("value")));
  }
}

describe("storage of a stopped room", () => {
  it("a write of the old instance after a reload is refused; the new instance's acknowledged write stays", async () => {
    const held = deferred<void>();
    const reached = deferred<void>();
    const oldWrite = deferred<string>();
    class V1 implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest(request: Party.Request) {
        if (request.method !== "POST") return new Response("v1");
        reached.resolve();
        await held.promise; // e.g. a fetch to another service
        try {
          await this.room.storage.put("value", "old");
          oldWrite.resolve("written");
        } catch (error) {
          oldWrite.resolve((error as { code?: string }).code ?? String(error));
          throw error;
        }
        return new Response("ok");
      }
    }
    const { server, url } = await startServer({ main: V1 }, { storage: "memory" });
    const first = fetch(`${url}/party/r`, { method: "POST", body: "old" });
    await reached.promise;
    await server.reload({ main: V2 });
    const second = await fetch(`${url}/party/r`, { method: "POST", body: "new" });
    expect(await second.text()).toBe("ok");
    held.resolve();
    expect(await oldWrite.promise).toBe("ERR_ROOM_STOPPED");
    expect((await first).status).toBeGreaterThanOrEqual(500);
    expect(await (await fetch(`${url}/party/r`)).text()).toBe("new");
  });

  it("a transaction of the old instance that was waiting at the reload commits nothing after it", async () => {
    const held = deferred<void>();
    const reached = deferred<void>();
    const outcome = deferred<string>();
    class V1 implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest() {
        try {
          await this.room.storage.transaction(async (txn) => {
            reached.resolve();
            await held.promise;
            await txn.put("value", "old");
          });
          outcome.resolve("committed");
        } catch (error) {
          outcome.resolve((error as { code?: string }).code ?? String(error));
        }
        return new Response("done");
      }
    }
    const { server, url } = await startServer({ main: V1 }, { storage: "memory", limits: { shutdownTimeoutMs: 200 } });
    const first = fetch(`${url}/party/r`, { method: "POST", body: "old" }).catch(() => undefined);
    await reached.promise;
    await server.reload({ main: V2 });
    expect(await (await fetch(`${url}/party/r`, { method: "POST", body: "new" })).text()).toBe("ok");
    held.resolve();
    expect(await outcome.promise).toBe("ERR_ROOM_STOPPED");
    await first;
    expect(await (await fetch(`${url}/party/r`)).text()).toBe("new");
  });
});
