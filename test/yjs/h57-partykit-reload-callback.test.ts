/**
 * helper 57: a y-partykit-style room's document session lives in a module-level registry keyed by the store and the
 * document's name, not by the room instance. A session an HTTP request loaded stays (idle) across a reload, and the
 * new instance's requests and sockets reuse it, with the `callback` (and `load`) closures of the stopped instance's
 * `room`, whose storage now refuses every call (ERR_ROOM_STOPPED): the project's own save never happens again.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { onRequest } from "../../src/yjs/index.js";
import { documentWriter, savedAnswer, savingOptions } from "../helpers/saving-document.js";
import { cleanupAll, pollUntil, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

const handlerErrors: string[] = [];

const savingServer = {
  async onRequest(req: Party.Request, room: Party.Room) {
    return (await savedAnswer(req, room)) ?? onRequest(req, room, savingOptions(room, handlerErrors));
  },
} satisfies Party.PartyKitServer;

describe("helper 57: a y-partykit room's change callback after a reload", () => {
  it("an edit after a reload is saved by the callback (it ran with the stopped instance's storage: ERR_ROOM_STOPPED)", async () => {
    handlerErrors.length = 0;
    const { server, url } = await startServer({ main: savingServer }, { storage: "memory", limits: { idleUnloadMs: 60_000 } });
    const writer = documentWriter(url);
    expect((await writer.post("before ")).status).toBe(200);
    await pollUntil("the first save", async () => ((await writer.saved()) === "before " ? true : undefined));
    await server.reload({ main: savingServer }); // `yparty dev` saving the file
    expect((await writer.post("after")).status).toBe(200);
    const last = await pollUntil("the save after the reload", async () =>
      (await writer.saved()) === "before after" || handlerErrors.length > 0 ? true : undefined,
    ).catch(() => false);
    expect(handlerErrors).toEqual([]);
    expect(last).toBe(true);
    expect(await writer.saved()).toBe("before after");
  });
});
