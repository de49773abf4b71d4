/**
 * h63's guarantee (a connection that writes under the editor's client id while it is offline gets the editor's change
 * refused, not acknowledged as saved) after Yjs gave the editor's doc a new client id. The provider's mark of how far
 * its own structs were acknowledged belonged to the old id (a higher clock) and was applied to the new one: its
 * step 2 skipped its offline structs the room "had" (the forged ones), and the editor was told its text was saved.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeUpdate } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";
import { destroyProviders, docUpdates, makeProvider, nextEvent, synced, waitUntil } from "./support.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const text = (doc: Y.Doc) => doc.getText("t").toString();

describe("a forged write under the editor's new client id", () => {
  it("gets the editor's offline change refused, not counted saved", async () => {
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const editor = makeProvider(server.url, "forged-new-id");
    const watcher = makeProvider(server.url, "forged-new-id");
    await Promise.all([synced(editor), synced(watcher)]);
    const t = editor.doc.getText("t");
    let saved = nextEvent(editor, "unsynced-changes", (count: number) => count === 0);
    t.insert(0, "a long text typed under the first id");
    await saved;

    editor.doc.clientID = editor.doc.clientID + 1; // what Yjs does when another client seems to use the doc's id
    saved = nextEvent(editor, "unsynced-changes", (count: number) => count === 0);
    t.insert(t.length, "!");
    await saved;
    await waitUntil("the watcher to read the text", () => text(watcher.doc) === text(editor.doc), docUpdates(watcher.doc));

    editor.disconnect();
    t.insert(t.length, " offline");

    const forger = new Y.Doc();
    Y.applyUpdate(forger, Y.encodeStateAsUpdate(watcher.doc));
    forger.clientID = editor.doc.clientID;
    const before = Y.encodeStateVector(forger);
    forger.getText("t").insert(0, "XXXXXXXX");
    const hostile = connect(server.wsUrl("/parties/main/forged-new-id"));
    await hostile.opened;
    hostile.send(encodeUpdate(Y.encodeStateAsUpdate(forger, before)));
    await waitUntil("the watcher to get the hostile write", () => text(watcher.doc).startsWith("XXXXXXXX"), docUpdates(watcher.doc));

    let toldSaved = false;
    editor.on("unsynced-changes", (count: number) => void (count === 0 && (toldSaved = true)));
    const refused = nextEvent(editor, "change-refused", (refusal: { code: number; error?: string }) => refusal.code === 1007);
    void editor.connect();
    const [refusal] = (await refused) as [{ code: number; reason: string; error?: string }];
    expect(refusal.error).toBe("ERR_INVALID_UPDATE");
    expect(toldSaved, "the editor was told its offline text is saved").toBe(false);
    expect(editor.unsyncedChanges).toBeGreaterThan(0);
  });
});
