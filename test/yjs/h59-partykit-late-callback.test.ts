/**
 * helper 59: a change callback still running at the stop is waited for at most `shutdownTimeoutMs` (h58), then left
 * running — and what it was still to do (the run pending behind it) runs later, on the stopped instance's document.
 * The reload's new instance meanwhile loads the document, takes newer edits, and its own callback saves the newer
 * text; the old instance's late callback then saves its older text over it. What the callback keeps (a search index,
 * a copy elsewhere) ends behind the document for good, with nothing left to correct it.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { onRequest } from "../../src/yjs/index.js";
import { cleanupAll, deferred, pollUntil, startServer } from "../helpers/server.js";

const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await cleanupAll();
});

function appendUpdate(base: Y.Doc, text: string): Uint8Array {
  const before = Y.encodeStateVector(base);
  base.getText("t").insert(base.getText("t").length, text);
  return Y.encodeStateAsUpdate(base, before);
}

describe("helper 59: a change callback the stop cut off, finishing after the reload", () => {
  it("the copy the callback keeps ends with the document's latest text", async () => {
    let copy = ""; // e.g. a search index the callback updates
    let reloaded = false;
    let running = 0;
    const slowService = deferred<void>(); // the service the old instance's callback calls is slow to answer
    cleanups.push(() => slowService.resolve());
    const savingServer = {
      onRequest(req: Party.Request, room: Party.Room) {
        return onRequest(req, room, {
          persist: { mode: "snapshot" as const },
          callback: {
            debounceWait: 5,
            debounceMaxWait: 5,
            handler: async (doc: Y.Doc) => {
              running++;
              try {
                if (!reloaded) await slowService.promise;
                copy = doc.getText("t").toString();
              } finally {
                running--;
              }
            },
          },
        });
      },
    } satisfies Party.PartyKitServer;
    const { server, url } = await startServer({ main: savingServer }, { storage: "leveldb", limits: { shutdownTimeoutMs: 200, idleUnloadMs: 60_000 } });
    const local = new Y.Doc();
    const post = async (text: string) => {
      const response = await fetch(`${url}/parties/main/notes`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: appendUpdate(local, text) as BodyInit,
      });
      expect(response.status).toBe(200);
    };
    await post("a");
    await pollUntil("the callback for the first edit to run", async () => (running > 0 ? true : undefined));
    await post("b"); // its run waits for the first one's
    await server.reload({ main: savingServer }); // the stop waits 200 ms for the callback, then goes on
    reloaded = true;
    await post("c");
    await pollUntil("the new instance's callback to save the latest text", async () => (copy === "abc" ? true : undefined));
    slowService.resolve(); // the old instance's callback finally gets its answer
    await pollUntil("every callback to finish", async () => (running === 0 ? true : undefined));
    await new Promise<void>((resolve) => setImmediate(resolve));
    await pollUntil("the callbacks to settle", async () => (running === 0 ? true : undefined));
    expect(copy).toBe("abc");
  });
});
