/**
 * helper 58: `whenStopping` lets go of the sessions a stopping instance used only when they are loaded (`peek` sees
 * "ready" sessions only). A session still loading when the instance stops (a request loading the document at the
 * reload) is left in the module-level registry with the stopped instance's callback: the new code's requests reuse
 * it, and every save of the project's callback is refused (ERR_ROOM_STOPPED).
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { onRequest } from "../../src/yjs/index.js";
import { documentWriter, savedAnswer, savingOptions } from "../helpers/saving-document.js";
import { cleanupAll, deferred, pollUntil, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

const handlerErrors: string[] = [];
let loadReached = deferred<void>();
let releaseLoad = deferred<void>();
let loads = 0;

/** y-partykit's `load`: the document's initial state from elsewhere (slow the first time). */
async function slowFirstLoad(): Promise<Y.Doc> {
  if (loads++ === 0) {
    loadReached.resolve();
    await releaseLoad.promise;
  }
  return new Y.Doc();
}

const options = (room: Party.Room) => savingOptions(room, handlerErrors, slowFirstLoad);

const savingServer = {
  async onRequest(req: Party.Request, room: Party.Room) {
    return (await savedAnswer(req, room)) ?? onRequest(req, room, options(room));
  },
} satisfies Party.PartyKitServer;

/** After the reload, "after" is posted: the new code's callback saves it, through the new instance's storage. */
async function savedAfterReload(writer: ReturnType<typeof documentWriter>): Promise<void> {
  expect((await writer.post("after")).status).toBe(200);
  const last = await pollUntil("the save after the reload", async () =>
    (await writer.saved())?.includes("after") || handlerErrors.some((e) => e.includes("after")) ? true : undefined,
  ).catch(() => false);
  // (The stopped instance's own save of "before " may be refused: it ran the old code after its stop.) The new
  // code's save must not go through the stopped instance's storage.
  expect(handlerErrors.filter((e) => e.includes("after"))).toEqual([]);
  expect(last).toBe(true);
  expect(await writer.saved()).toBe("before after");
}

describe("helper 58: a y-partykit session still loading when its room instance stops", () => {
  it("after a reload during a request's load, the new code's edits are saved by the callback (not refused as ERR_ROOM_STOPPED)", async () => {
    handlerErrors.length = 0;
    loads = 0;
    loadReached = deferred<void>();
    releaseLoad = deferred<void>();
    const { server, url } = await startServer({ main: savingServer }, { storage: "memory", limits: { idleUnloadMs: 60_000 } });
    const writer = documentWriter(url);
    const first = writer.post("before ");
    await waitFor(loadReached.promise, "the first request's load");
    await server.reload({ main: savingServer }); // `yparty dev` saving the file while the document loads
    releaseLoad.resolve();
    await waitFor(first, "the answer to the request that was loading");
    await savedAfterReload(writer);
  });

  it("a request of the old code that reaches the document after its instance stopped does not leave the new code's saves refused", async () => {
    handlerErrors.length = 0;
    loads = 1; // no slow load here
    const authReached = deferred<void>();
    const releaseAuth = deferred<void>();
    let firstRequest = true;
    const authServer = {
      async onRequest(req: Party.Request, room: Party.Room) {
        const saved = await savedAnswer(req, room);
        if (saved) return saved;
        if (firstRequest) {
          firstRequest = false;
          authReached.resolve();
          await releaseAuth.promise; // e.g. checking the caller's token with an auth service
        }
        return onRequest(req, room, options(room));
      },
    } satisfies Party.PartyKitServer;
    const { server, url } = await startServer({ main: authServer }, { storage: "memory", limits: { idleUnloadMs: 60_000 } });
    const writer = documentWriter(url);
    const first = writer.post("before ");
    await waitFor(authReached.promise, "the first request's auth check");
    await server.reload({ main: authServer });
    releaseAuth.resolve();
    await waitFor(first, "the answer to the request of the old code");
    await savedAfterReload(writer);
  });
});
