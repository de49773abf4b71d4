/**
 * `x-yparty-refused` marks the answer to a forwarded request as the owner node's own refusal (h131): the entry node
 * turns it back into the error it was. A room answering with that header itself (its own onRequest: a header it
 * copied from elsewhere, or set to see what happens) had its answer taken for such a refusal: a stub's fetch on
 * another node rejected with a RuntimeError of status 200, and a client through another node got a 200 whose body was
 * an error, where on the room's own node both get the room's answer. The owner now marks only its refusals: the header
 * of a room's own answer to a forwarded request is dropped, and it resolves as the room's answer everywhere.
 *
 * Staged as h131-owner-refusal: two in-process servers on the cluster's Forwarder.
 */
import { afterEach, expect, test } from "vitest";
import { Forwarder } from "../../src/cluster/forward.js";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";

const SECRET = "h135-cluster-secret";
const forwarders: Forwarder[] = [];
afterEach(async () => {
  for (const forwarder of forwarders.splice(0)) forwarder.close();
  await cleanupAll();
});

function placementFor(owner: string | undefined): Party.RoomPlacement {
  const forwarder = new Forwarder(SECRET);
  forwarders.push(forwarder);
  return {
    attach: () => {},
    claim: async (party) => (party === "target" ? owner : undefined),
    holds: () => true,
    released: async () => {},
    isForwarded: (req) => req.headers["x-yparty-cluster"] === SECRET,
    forwardUpgrade: async () => false,
    forwardRequest: (to, target) => forwarder.proxy(to, target.request),
    claimCronTick: async () => true,
    alarmRecords: (storage) => storage.kv("__yparty:alarms"),
  };
}

/** Answers with the refusal's header itself: a 200, or a 503 with a runtime error's body. */
class Target implements Party.Server {
  onRequest(req: Party.Request) {
    if (new URL(req.url).searchParams.get("as") === "503") {
      const body = { error: { code: "ERR_SHUTTING_DOWN", message: "spoofed" } };
      return Response.json(body, { status: 503, headers: { "x-yparty-refused": "1" } });
    }
    return new Response("the room's own answer", { status: 200, headers: { "x-yparty-refused": "1", "x-room": "target" } });
  }
}

class Asker {
  constructor(readonly room: Party.Room) {}
  static async onFetch(req: Party.Request, lobby: Party.FetchLobby) {
    const as = new URL(req.url).searchParams.get("as") ?? "200";
    return lobby.parties
      .target!.get("x")
      .fetch(`/?as=${as}`)
      .then(
        async (answer) => Response.json({ resolved: answer.status, body: await answer.text() }),
        (error: Error & { code?: string }) => Response.json({ rejected: { code: error.code, message: error.message } }),
      );
  }
}

async function twoNodes() {
  const owner = await startServer({ main: Asker, target: Target }, { storage: "memory", placement: placementFor(undefined) });
  const entry = await startServer({ main: Asker, target: Target }, { storage: "memory", placement: placementFor(owner.url) });
  return { owner, entry };
}

test("a room's own answer carrying x-yparty-refused resolves a stub's fetch from another node as from its own", async () => {
  const { owner, entry } = await twoNodes();
  const here = await (await fetch(`${owner.url}/ask`)).json();
  expect(here).toEqual({ resolved: 200, body: "the room's own answer" });
  expect(await (await fetch(`${entry.url}/ask`)).json()).toEqual(here);
  expect(await (await fetch(`${entry.url}/ask?as=503`)).json()).toEqual({
    resolved: 503,
    body: JSON.stringify({ error: { code: "ERR_SHUTTING_DOWN", message: "spoofed" } }),
  });
});

test("a client through another node gets the room's own answer, its other headers kept", async () => {
  const { entry } = await twoNodes();
  const response = await fetch(`${entry.url}/parties/target/x`);
  expect(response.status).toBe(200);
  expect(response.headers.get("x-room")).toBe("target");
  expect(await response.text()).toBe("the room's own answer");
});
