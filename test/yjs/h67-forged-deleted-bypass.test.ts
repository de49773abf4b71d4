/**
 * The known-IDs check (known-structs.ts) does not compare content the room holds as deleted ("cannot be compared, and
 * passes"). A hostile connection uses that to get around it: it writes under an offline editor's client id, at the
 * editor's next clocks and with the neighbours the editor's offline insert will name (both are public), an insert it
 * deletes in the same update. The room then holds deleted content under those IDs; when the editor comes back, its
 * offline text is skipped as known, the check passes, the room acknowledges it and the editor is told it is saved,
 * while the room, and everyone else, holds none of it (h63-forged-client-id's case, one `delete` away).
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeUpdate } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";
import { destroyProviders, makeProvider, synced, waitUntil, WAIT_MS } from "../provider/support.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const text = (doc: Y.Doc) => doc.getText("t").toString();
const onUpdates = (docs: Y.Doc[]) => (recheck: () => void) => {
  for (const doc of docs) doc.on("update", recheck);
  return () => docs.forEach((doc) => doc.off("update", recheck));
};

describe("a forger that writes deleted content under an offline editor's client id", () => {
  it("does not make the room skip and acknowledge the editor's offline text: the editor is told its change is refused", async () => {
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    const editor = makeProvider(server.url, "forged-deleted");
    const watcher = makeProvider(server.url, "forged-deleted");
    await Promise.all([synced(editor), synced(watcher)]);
    editor.doc.getText("t").insert(0, "hello");
    await waitUntil("the watcher to read hello", () => text(watcher.doc) === "hello", onUpdates([watcher.doc]));
    await waitUntil(
      "the editor's hello to be saved",
      () => editor.unsyncedChanges === 0,
      (recheck) => {
        editor.on("unsynced-changes", recheck);
        return () => editor.off("unsynced-changes", recheck);
      },
    );

    // The editor goes offline and keeps typing at the end.
    editor.disconnect();
    editor.doc.getText("t").insert(5, " world");

    // A hostile connection, under the editor's client id, at its next clocks and at the same place, inserts and deletes.
    const forger = new Y.Doc();
    Y.applyUpdate(forger, Y.encodeStateAsUpdate(watcher.doc));
    forger.clientID = editor.doc.clientID;
    const before = Y.encodeStateVector(forger);
    forger.transact(() => {
      forger.getText("t").insert(5, "xxxxxxxxxxxxxxxx");
      forger.getText("t").delete(5, 16);
    });
    const hostile = connect(server.wsUrl("/parties/main/forged-deleted"));
    await hostile.opened;
    hostile.send(encodeUpdate(Y.encodeStateAsUpdate(forger, before)));
    const roomState = () => Y.getState(watcher.doc.store, editor.doc.clientID);
    await waitUntil("the watcher to get the hostile write", () => roomState() > 5, onUpdates([watcher.doc]));

    // The editor comes back: either the room refuses its offline text, or it holds it.
    const outcome = new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve("neither refused nor saved"), WAIT_MS);
      editor.on("change-refused", () => (clearTimeout(timer), resolve("refused")));
      editor.on("unsynced-changes", (count: number) => count === 0 && (clearTimeout(timer), resolve("told saved")));
    });
    void editor.connect();
    const told = await outcome;
    const fresh = makeProvider(server.url, "forged-deleted");
    await synced(fresh);
    if (told === "told saved") expect(text(fresh.doc), "the editor was told saved: the room must hold its text").toBe("hello world");
    else expect(told).toBe("refused");
  });
});
