/**
 * A `context.parties` stub's fetch to a room another node owns, when that node refuses it (h131): it can no longer
 * claim the room (its lease ran out in a Redis partition), the room moved on, or it shuts down. Before, the entry node
 * resolved the stub's fetch with that refusal as a Response, as if the room had answered 503, while the same refusal
 * on the entry node itself rejects with the retryable RuntimeError: user code catching errors only carried on with
 * the refusal's body. Now the owner marks its own refusals (`x-yparty-refused`) and the entry node rejects with the
 * error it was there; its HTTP clients get the same 503 as before, with Retry-After.
 *
 * Two in-process servers with placements built on the cluster's own Forwarder (the proxy src/cluster uses), the
 * owner's claims refused as src/cluster refuses them: no Redis needed to stage the moment.
 */
import { afterEach, expect, test } from "vitest";
import { Forwarder } from "../../src/cluster/forward.js";
import type * as Party from "../../src/runtime/index.js";
import { RuntimeError } from "../../src/runtime/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";

const SECRET = "h131-cluster-secret";
const forwarders: Forwarder[] = [];
afterEach(async () => {
  for (const forwarder of forwarders.splice(0)) forwarder.close();
  await cleanupAll();
});

const REFUSAL = "Redis cannot be reached to claim target/x: Redis has not answered a command sent 950 ms ago, so the claim was not sent; try again";

function placementFor(claim: (party: string, roomId: string) => Promise<string | undefined>): Party.RoomPlacement {
  const forwarder = new Forwarder(SECRET);
  forwarders.push(forwarder);
  return {
    attach: () => {},
    claim,
    holds: () => true,
    released: async () => {},
    isForwarded: (req) => req.headers["x-yparty-cluster"] === SECRET,
    forwardUpgrade: async () => false,
    forwardRequest: (owner, target) => forwarder.proxy(owner, target.request),
    claimCronTick: async () => true,
    alarmRecords: (storage) => storage.kv("__yparty:alarms"),
  };
}

class Target implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onRequest() {
    return new Response("target");
  }
}

/** Asks `target/{?to}` through its stub (onFetch) and answers how that went: resolved with what, or rejected with what. */
class Asker {
  constructor(readonly room: Party.Room) {}
  static async onFetch(req: Party.Request, lobby: Party.FetchLobby) {
    const url = new URL(req.url);
    const stub = lobby.parties.target!.get(url.searchParams.get("to")!);
    return stub.fetch("/").then(
      async (answer) => Response.json({ resolved: answer.status, body: await answer.text() }),
      (error: RuntimeError) =>
        Response.json({
          rejected: {
            isRuntimeError: error instanceof RuntimeError,
            code: error.code,
            status: error.status,
            retryable: error.retryable,
            message: error.message,
          },
        }),
    );
  }
}

test.each([
  ["cannot claim the room now", "ERR_ROOM_UNAVAILABLE", REFUSAL],
  ["no longer holds the room (it moved on)", "ERR_ROOM_MOVED", "The room moved to another node while the request was forwarded; try again"],
] as const)(
  "the owner %s: the entry node's stub fetch rejects with the owner's retryable error, its HTTP client gets the 503 with Retry-After",
  async (_, code, message) => {
    const owner = await startServer(
      { main: Asker, target: Target },
      {
        storage: "memory",
        placement: placementFor(async (party) => {
          if (party !== "target") return undefined;
          if (code === "ERR_ROOM_MOVED") return "http://127.0.0.1:9"; // another node's, say its lease
          throw new RuntimeError("ERR_ROOM_UNAVAILABLE", REFUSAL, 503);
        }),
      },
    );
    const entry = await startServer(
      { main: Asker, target: Target },
      { storage: "memory", placement: placementFor(async (party) => (party === "target" ? owner.url : undefined)) },
    );
    expect(await (await fetch(`${entry.url}/ask?to=x`)).json()).toEqual({
      rejected: { isRuntimeError: true, code, status: 503, retryable: true, message },
    });
    const direct = await fetch(`${entry.url}/parties/target/x`);
    expect(direct.status).toBe(503);
    expect(direct.headers.get("retry-after")).toBe("1");
    expect(direct.headers.get("x-yparty-refused")).toBeNull();
    expect(await direct.json()).toEqual({ error: { code, message } });
  },
);

test("the room's own 503 (its onRequest answered it) still resolves the stub's fetch, as on one node", async () => {
  class Busy implements Party.Server {
    onRequest() {
      return new Response("busy", { status: 503 });
    }
  }
  const owner = await startServer({ main: Asker, target: Busy }, { storage: "memory", placement: placementFor(async () => undefined) });
  const entry = await startServer(
    { main: Asker, target: Busy },
    { storage: "memory", placement: placementFor(async (party) => (party === "target" ? owner.url : undefined)) },
  );
  expect(await (await fetch(`${entry.url}/ask?to=x`)).json()).toEqual({ resolved: 503, body: "busy" });
});
