/**
 * A connection writes under an offline editor's client id at the clocks the editor is using, then deletes what it
 * wrote, hoping the room forgets the content and so cannot tell the editor's own structs from its forgery. A room
 * that keeps deleted content (gc off) still holds it under those IDs: the editor's offline text is refused
 * (`change-refused`), not skipped and acknowledged. (A room that collects deleted content cannot compare it: the
 * documented limit, docs/protocol.md "Known IDs".)
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeUpdate } from "../../src/protocol/index.js";
import { YServer } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";
import { destroyProviders, docUpdates, makeProvider, nextEvent, synced, waitUntil } from "../provider/support.js";

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

class KeptDeleted extends YServer {
  static override persist = { mode: "snapshot" } as const;
  static override gc = false;
}

const text = (doc: Y.Doc) => doc.getText("t").toString();

describe("a forger that deletes what it wrote under an offline editor's client id", () => {
  it("is caught in a room that keeps deleted content: the editor is told its change is refused, not that it is saved", async () => {
    const server = await startServer({ main: KeptDeleted }, { storage: "memory" });
    const editor = makeProvider(server.url, "forged-deleted");
    const watcher = makeProvider(server.url, "forged-deleted");
    await Promise.all([synced(editor), synced(watcher)]);
    editor.doc.getText("t").insert(0, "hello");
    await waitUntil("the watcher to read hello", () => text(watcher.doc) === "hello", docUpdates(watcher.doc));
    editor.disconnect();
    editor.doc.getText("t").insert(5, " world");

    // The forger's text, written where the editor's is (same neighbours), then deleted in a second update.
    const forger = new Y.Doc({ gc: false });
    Y.applyUpdate(forger, Y.encodeStateAsUpdate(watcher.doc));
    forger.clientID = editor.doc.clientID;
    const before = Y.encodeStateVector(forger);
    forger.getText("t").insert(5, " WORLD");
    const written = Y.encodeStateAsUpdate(forger, before);
    const afterWrite = Y.encodeStateVector(forger);
    forger.getText("t").delete(5, 6);
    const hostile = connect(server.wsUrl("/parties/main/forged-deleted"));
    await hostile.opened;
    hostile.send(encodeUpdate(written));
    hostile.send(encodeUpdate(Y.encodeStateAsUpdate(forger, afterWrite)));
    await waitUntil(
      "the watcher to get the write and its deletion",
      () => text(watcher.doc) === "hello" && Y.getState(watcher.doc.store, editor.doc.clientID) > 5,
      docUpdates(watcher.doc),
    );

    let toldSaved = false;
    editor.on("unsynced-changes", (count: number) => void (count === 0 && (toldSaved = true)));
    const refused = nextEvent(editor, "change-refused", (refusal: { code: number; reason: string; error?: string }) => refusal.code === 1007);
    void editor.connect();
    const [refusal] = await refused;
    expect(refusal.error).toBe("ERR_INVALID_UPDATE");
    expect(refusal.reason).toMatch(/other content under its IDs/);
    expect(toldSaved).toBe(false);
  });
});
