/**
 * A hostile connection writes under an honest editor's client id, at the clocks the editor is using offline. When the
 * editor comes back, the room skips the editor's own structs (it "has" those IDs: the forged ones), and the editor
 * never gets the forged ones (its state vector says it has them). The editor and everyone else then read different
 * documents for good, and the editor's save status says its offline text is stored though the room holds none of it.
 *
 * Nothing the room can do brings the editor's text back under IDs another connection took (Yjs cannot replace a
 * struct), but it must not lie: the editor's change is refused (`change-refused`, ERR_INVALID_UPDATE) and stays
 * unsaved, rather than skipped and acknowledged; what the others read is the room's one document.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeUpdate } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";
import { destroyProviders, docUpdates, makeProvider, nextEvent, synced, waitUntil } from "../provider/support.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const text = (doc: Y.Doc) => doc.getText("t").toString();

describe("a connection that writes under another editor's client id", () => {
  it("cannot make the editor's offline text vanish for everyone else while the editor is told it is saved: it is told its change is refused", async () => {
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const editor = makeProvider(server.url, "forged");
    const watcher = makeProvider(server.url, "forged");
    await Promise.all([synced(editor), synced(watcher)]);
    editor.doc.getText("t").insert(0, "hello");
    await waitUntil("the watcher to read hello", () => text(watcher.doc) === "hello", docUpdates(watcher.doc));

    // The editor goes offline and keeps typing.
    editor.disconnect();
    editor.doc.getText("t").insert(5, " world");

    // Meanwhile a hostile connection writes at the editor's next clocks, under its client id (both are public:
    // presence and the state vector name them).
    const forger = new Y.Doc();
    Y.applyUpdate(forger, Y.encodeStateAsUpdate(watcher.doc));
    forger.clientID = editor.doc.clientID;
    const before = Y.encodeStateVector(forger);
    forger.getText("t").insert(5, "XXXXXX");
    const hostile = connect(server.wsUrl("/parties/main/forged"));
    await hostile.opened;
    hostile.send(encodeUpdate(Y.encodeStateAsUpdate(forger, before)));
    await waitUntil("the watcher to get the hostile write", () => text(watcher.doc) !== "hello", docUpdates(watcher.doc));

    // The editor comes back: its offline text goes out with its sync step 2, which the room refuses.
    let toldSaved = false;
    editor.on("unsynced-changes", (count: number) => void (count === 0 && (toldSaved = true)));
    const refused = nextEvent(editor, "change-refused", (refusal: { code: number; error?: string }) => refusal.code === 1007);
    void editor.connect();
    const [refusal] = (await refused) as [{ code: number; reason: string; error?: string }];
    expect(refusal.error).toBe("ERR_INVALID_UPDATE");
    expect(refusal.reason).toMatch(/another connection wrote under this client id/);
    expect(toldSaved, "the editor was told its offline text is saved").toBe(false);
    expect(editor.unsyncedChanges).toBeGreaterThan(0);

    // Everyone else reads the room's one document.
    const fresh = makeProvider(server.url, "forged");
    await synced(fresh);
    expect(text(fresh.doc)).toBe(text(watcher.doc));
  });
});
