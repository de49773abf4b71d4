/**
 * y-partykit/storage's `storeUpdate` in a room whose document is held by the room's own instance (yparty's
 * DocumentParty, a y-partyserver-style YServer), not by y-partykit's onConnect: the update goes to that live
 * document, so its editors see it, and it is still there once the room has unloaded (its document stored over the
 * log) and the server restarted.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as Y from "yjs";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, serveFixture, serveIn } from "../cli/helpers.js";
import { destroyProviders, makeProvider, until, whenSynced } from "../yjs/support/providers.js";

const projects = path.join(path.dirname(fileURLToPath(import.meta.url)), "projects");
const defer = deferredCleanups(afterEach);
afterEach(() => destroyProviders());

/** A fresh client's update pushing `text` to "messages". */
function message(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getArray("messages").push([{ text }]);
  return Y.encodeStateAsUpdate(doc);
}

const roomUrl = (url: string, party: string) => `${url}/parties/${party}/lobby`;
const post = (url: string, party: string, update: Uint8Array) =>
  fetch(roomUrl(url, party), { method: "POST", body: new Blob([update as Uint8Array<ArrayBuffer>]) });
const texts = (doc: Y.Doc) => (doc.getArray("messages").toJSON() as Array<{ text: string }>).map((m) => m.text).sort();

describe.each([
  ["DocumentParty", "main"],
  ["YServer (history)", "editor"],
])("y-partykit/storage's storeUpdate in a %s room", (_face, party) => {
  it("reaches the connected editor, and survives the room's unload and a restart", async () => {
    const { url, cli, dir } = await serveFixture(defer, "dev", "y-storage-live", [], projects);
    const doc = new Y.Doc();
    const provider = makeProvider("y-websocket", url, party, "lobby", doc);
    await whenSynced(provider);
    doc.getArray("messages").push([{ text: "typed" }]);

    // Checked as a client's update is: bytes Yjs cannot read are refused, and change nothing.
    expect((await post(url, party, new Uint8Array([1, 1, 200, 1, 0, 4, 9, 9, 9]))).ok).toBe(false);
    expect((await post(url, party, message("stored"))).status).toBe(200);
    await until(doc, (d) => texts(d).includes("stored"), "the stored update in the editor");
    doc.getArray("messages").push([{ text: "typed after" }]);

    // The last editor leaves: the room stores its document over the log and unloads it; the next one loads it back.
    provider.destroy();
    const next = new Y.Doc();
    const nextProvider = makeProvider("y-websocket", url, party, "lobby", next);
    await whenSynced(nextProvider);
    await until(next, (d) => d.getArray("messages").length === 3, "the whole document after an unload");
    nextProvider.destroy();

    await cli.stop("SIGTERM");
    const again = await serveIn(defer, "dev", dir);
    const reloaded = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", again.url, party, "lobby", reloaded));
    await until(reloaded, (d) => d.getArray("messages").length === 3, "the whole document after a restart");
    expect(texts(reloaded)).toEqual(["stored", "typed", "typed after"]);
  });
});
