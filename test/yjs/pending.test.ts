/**
 * An update that depends on a change the server has not seen yet is held by Yjs as "pending" (no update
 * event). It must still be stored before it is acknowledged: after a restart, the missing change arrives
 * and both appear.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

const post = (url: string, update: Uint8Array) =>
  fetch(url, { method: "POST", body: Buffer.from(update), headers: { "content-type": "application/octet-stream" } });

describe("an update whose dependency has not arrived", () => {
  it("is stored when acknowledged, and completes after a restart when the missing change arrives", async () => {
    const author = new Y.Doc();
    const text = author.getText("t");
    text.insert(0, "first ");
    const first = Y.encodeStateAsUpdate(author);
    const afterFirst = Y.encodeStateVector(author);
    text.insert(6, "second");
    const second = Y.encodeStateAsUpdate(author, afterFirst); // builds on "first "

    const server = await startServer({ main: DocumentParty });
    const room = `${server.url}/parties/main/pending`;
    expect((await post(room, second)).status).toBe(202); // stored, held back (docs/yjs.md)
    expect(await (await fetch(room)).json()).toEqual({}); // held back: its base is missing

    const restarted = await server.restart();
    const again = `${restarted.url}/parties/main/pending`;
    expect((await post(again, first)).status).toBe(200);
    expect(await (await fetch(again)).json()).toEqual({ t: "first second" });
  });
});
