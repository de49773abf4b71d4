/**
 * A hostile connection writes under an honest editor's client id, at the clocks the editor is using offline. When the
 * editor comes back, the room skips the editor's own structs (it "has" those IDs: the forged ones), and the editor
 * never gets the forged ones (its state vector says it has them). The editor and everyone else then read different
 * documents for good, and the editor's save status says its offline text is stored though the room holds none of it.
 *
 * Oracle: a reference Y.Doc fed every honest edit; at the end every honest client must read the same as the others.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeUpdate } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";
import { destroyProviders, makeProvider, nextEvent, synced, waitUntil } from "../provider/support.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const text = (doc: Y.Doc) => doc.getText("t").toString();
const onUpdates = (docs: Y.Doc[]) => (recheck: () => void) => {
  for (const doc of docs) doc.on("update", recheck);
  return () => docs.forEach((doc) => doc.off("update", recheck));
};

describe("a connection that writes under another editor's client id", () => {
  it("cannot make the editor's offline text vanish for everyone else while the editor is told it is saved", async () => {
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const editor = makeProvider(server.url, "forged");
    const watcher = makeProvider(server.url, "forged");
    await Promise.all([synced(editor), synced(watcher)]);
    editor.doc.getText("t").insert(0, "hello");
    await waitUntil("the watcher to read hello", () => text(watcher.doc) === "hello", onUpdates([watcher.doc]));

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
    await waitUntil("the watcher to get the hostile write", () => text(watcher.doc) !== "hello", onUpdates([watcher.doc]));

    // The editor comes back: its offline text goes out with its sync step 2, and is acknowledged.
    const saved = nextEvent(editor, "unsynced-changes", (count: number) => count === 0);
    void editor.connect();
    await synced(editor);
    await saved;
    const fresh = makeProvider(server.url, "forged");
    await synced(fresh);

    // Whatever the room decides about the hostile write, the honest editors must agree.
    await waitUntil(
      "the editor, the watcher and a fresh client to read the same",
      () => text(editor.doc) === text(watcher.doc) && text(fresh.doc) === text(watcher.doc),
      onUpdates([editor.doc, watcher.doc, fresh.doc]),
      3_000,
    ).catch(() => {});
    expect({ watcher: text(watcher.doc), fresh: text(fresh.doc) }).toEqual({ watcher: text(editor.doc), fresh: text(editor.doc) });
  });
});
