/**
 * helper 59: `#ready()` races the input gate's turn against `#stopping.promise`, a promise that settles only when the
 * room stops. `Promise.race` subscribes to both and nothing unsubscribes the loser: every request (alarm, connect)
 * that found the gate shut — a storage read, a `blockConcurrencyWhile` — leaves a reaction on that promise for the
 * instance's whole life. A long-lived busy room grows without bound.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, deferred, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

describe("helper 59: what a request waiting for the room's turn leaves behind", () => {
  it("requests that waited for a blockConcurrencyWhile leave nothing once answered", async () => {
    let gate = deferred<void>();
    class Busy implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest(req: Party.Request) {
        if (new URL(req.url).pathname.endsWith("/block")) void this.room.blockConcurrencyWhile(() => gate.promise);
        return new Response("ok");
      }
    }
    const { server } = await startServer({ main: Busy }, { storage: "memory", limits: { idleUnloadMs: 600_000 } });
    const registry = (
      server as unknown as {
        registry: { withRoom<T>(party: string, id: string, fn: (room: { request(req: Request): Promise<Response> }) => Promise<T>): Promise<T> };
      }
    ).registry;
    const request = (path: string) => registry.withRoom("main", "busy", (room) => room.request(new Request(`http://x/parties/main/busy${path}`)));
    const round = async (n: number) => {
      gate = deferred<void>();
      await request("/block"); // the gate is shut until `gate` resolves
      const waiting: Array<Promise<Response>> = [];
      for (let i = 0; i < n; i++) waiting.push(request("/"));
      gate.resolve();
      for (const response of await Promise.all(waiting)) expect(response.status).toBe(200);
    };
    await round(2_000); // warm up
    const before = heapAfterGc();
    for (let i = 0; i < 10; i++) await round(5_000);
    const grown = heapAfterGc() - before;
    expect(grown).toBeLessThan(4 * 1024 * 1024); // 50 000 answered requests (about 23 MB kept: ~450 bytes each)
  });
});
