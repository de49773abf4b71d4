/**
 * helper 59: a stop lets go of every y-partykit session its instance used (`letGoWithRoom`: flushed, destroyed) while
 * a request of that instance still holds the document `unstable_getYDoc` gave it. The request's edit after the stop
 * goes into a document nobody stores any more, and the request still answers 200: an acknowledged edit is lost (the
 * reload's new instance loads the document without it). A `room.storage.put` in the same place fails loudly
 * (ERR_ROOM_STOPPED, a 500); the document's edit fails silently.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { unstable_getYDoc } from "../../src/yjs/index.js";
import { cleanupAll, deferred, onCleanup, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

const persist = { persist: { mode: "snapshot" as const } };

describe("helper 59: an edit through unstable_getYDoc by a request the reload overtook", () => {
  it("a request answered 200 for its edit has the edit in the document after the reload", async () => {
    const loaded = deferred<void>();
    const proceed = deferred<void>(); // e.g. the request awaits a permission check on another service
    onCleanup(() => proceed.resolve());
    const makeServer = (gated: boolean) =>
      class implements Party.Server {
        constructor(readonly room: Party.Room) {}
        async onRequest(req: Party.Request) {
          const doc = await unstable_getYDoc(this.room, persist);
          if (req.method === "GET") return new Response(doc.getText("t").toString());
          if (gated) {
            loaded.resolve();
            await proceed.promise;
          }
          doc.getText("t").insert(doc.getText("t").length, "edit");
          return new Response("saved");
        }
      };
    const { server, url } = await startServer({ main: makeServer(true) }, { storage: "leveldb", limits: { shutdownTimeoutMs: 500 } });
    const pending = fetch(`${url}/parties/main/doc`, { method: "POST" });
    await waitFor(loaded.promise, "the request to load the document");
    await server.reload({ main: makeServer(false) });
    proceed.resolve();
    const response = await waitFor(pending, "the answer to the edit");
    const answered = `${response.status} ${await response.text()}`;
    const now = await (await fetch(`${url}/parties/main/doc`)).text();
    // Saved, or not acknowledged: never a 200 for an edit the document does not have.
    expect(answered === "200 saved" ? now : "edit").toBe("edit");
  });
});
