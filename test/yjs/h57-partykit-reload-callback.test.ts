/**
 * helper 57: a y-partykit-style room's document session lives in a module-level registry keyed by the store and the
 * document's name, not by the room instance. A session an HTTP request loaded stays (idle) across a reload, and the
 * new instance's requests and sockets reuse it, with the `callback` (and `load`) closures of the stopped instance's
 * `room`, whose storage now refuses every call (ERR_ROOM_STOPPED): the project's own save never happens again.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { onRequest } from "../../src/yjs/index.js";
import { cleanupAll, pollUntil, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

const handlerErrors: string[] = [];

/** docs/yjs.md's save-to-storage pattern: the change callback keeps a copy of the text in the room's storage. */
function options(room: Party.Room) {
  return {
    persist: { mode: "snapshot" as const },
    callback: {
      debounceWait: 10,
      handler: async (doc: Y.Doc) => {
        try {
          await room.storage.put("saved", doc.getText("t").toString());
        } catch (error) {
          handlerErrors.push((error as { code?: string }).code ?? String(error));
          throw error;
        }
      },
    },
  };
}

const savingServer = {
  async onRequest(req: Party.Request, room: Party.Room) {
    if (new URL(req.url).searchParams.has("saved")) return Response.json({ saved: (await room.storage.get("saved")) ?? null });
    return onRequest(req, room, options(room));
  },
} satisfies Party.PartyKitServer;

function appendUpdate(base: Y.Doc, text: string): Uint8Array {
  const before = Y.encodeStateVector(base);
  base.getText("t").insert(base.getText("t").length, text);
  return Y.encodeStateAsUpdate(base, before);
}

describe("helper 57: a y-partykit room's change callback after a reload", () => {
  it("an edit after a reload is saved by the callback (it ran with the stopped instance's storage: ERR_ROOM_STOPPED)", async () => {
    handlerErrors.length = 0;
    const { server, url } = await startServer({ main: savingServer }, { storage: "memory", limits: { idleUnloadMs: 60_000 } });
    const local = new Y.Doc();
    const post = (text: string) =>
      fetch(`${url}/parties/main/notes`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: appendUpdate(local, text) as BodyInit,
      });
    const saved = async () => ((await (await fetch(`${url}/parties/main/notes?saved`)).json()) as { saved: string | null }).saved;
    expect((await post("before ")).status).toBe(200);
    await pollUntil("the first save", async () => ((await saved()) === "before " ? true : undefined));
    await server.reload({ main: savingServer }); // `yparty dev` saving the file
    expect((await post("after")).status).toBe(200);
    const last = await pollUntil("the save after the reload", async () =>
      (await saved()) === "before after" || handlerErrors.length > 0 ? true : undefined,
    ).catch(() => false);
    expect(handlerErrors).toEqual([]);
    expect(last).toBe(true);
    expect(await saved()).toBe("before after");
  });
});
