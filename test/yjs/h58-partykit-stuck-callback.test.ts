/**
 * helper 58: as a room instance stops, `whenStopping` releases a y-partykit session a request loaded: its stop awaits the
 * change callback's flush without a bound. The room's stop itself goes on after `limits.shutdownTimeoutMs`, but the
 * registry keeps the session's unfinished stop as the flush the next session of that name must wait for before it
 * loads: a `callback.handler` that awaits what never comes (a webhook without a timeout) leaves the document
 * unloadable for the reload's new code — every request to it hangs until the process restarts.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { onRequest } from "../../src/yjs/index.js";
import { cleanupAll, deferred, onCleanup, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("helper 58: a y-partykit change callback that never settles, at a reload", () => {
  it("the reload's new code still serves the document", async () => {
    const never = deferred<void>();
    onCleanup(() => never.resolve());
    const handlerCalled = deferred<void>();
    let stuck = true;
    const make = () => ({
      async onRequest(req: Party.Request, room: Party.Room) {
        return onRequest(req, room, {
          persist: { mode: "snapshot" as const },
          callback: {
            debounceWait: 10,
            handler: async () => {
              handlerCalled.resolve();
              if (stuck) await never.promise; // a webhook that does not answer
            },
          },
        });
      },
    });
    const v1 = make() satisfies Party.PartyKitServer;
    const { server, url } = await startServer({ main: v1 }, { storage: "memory", limits: { idleUnloadMs: 60_000, shutdownTimeoutMs: 300 } });
    const local = new Y.Doc();
    local.getText("t").insert(0, "hello");
    const posted = await fetch(`${url}/parties/main/notes`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: Y.encodeStateAsUpdate(local) as BodyInit,
    });
    expect(posted.status).toBe(200);
    await waitFor(handlerCalled.promise, "the change callback");
    stuck = false; // the new code's callback answers
    await waitFor(server.reload({ main: make() }), "the reload (bounded by shutdownTimeoutMs)", 3_000);
    const read = await waitFor(fetch(`${url}/parties/main/notes?format=update`), "a read of the document on the new code", 3_000);
    expect(read.status).toBe(200);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, new Uint8Array(await read.arrayBuffer()));
    expect(doc.getText("t").toString()).toBe("hello");
  });
});
