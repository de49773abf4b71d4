/**
 * A room that keeps its history (`gc: false`, y-partykit's default with `persist`) still has its deleted content
 * after a restart, however long its stored log: an editor renders an old snapshot (a version, as Tiptap's history
 * does) from the reloaded room exactly as from its own document. A log longer than the store merges lazily went
 * through a collecting Y.Doc on load, and the LevelDB load's own compaction then stored that collected state.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { storageDefaults } from "../../persistence/index.js";
import { startServer } from "../helpers/server.js";
import { onConnect } from "../../src/yjs/index.js";
import { clientDocs, destroyProviders, makeProvider, until, whenSynced } from "./support/providers.js";

const docs = clientDocs();

// Strict durability stores each edit before anyone sees it, so an editor that waits for its peer writes one log entry
// per edit.
const historyParty = {
  onConnect: (conn: Party.Connection, room: Party.Room) => onConnect(conn, room, { persist: { mode: "history" }, durability: "strict" }),
};

function historyDoc(): Y.Doc {
  const doc = new Y.Doc({ gc: false });
  docs.push(doc);
  return doc;
}

const versionText = (doc: Y.Doc, version: Y.Snapshot) => Y.createDocFromSnapshot(doc, version).getText("t").toString();

describe("a room that keeps its history, reloaded", () => {
  it("renders an old version after restarts, from a log longer than the store's lazy merge and its compaction on load", async () => {
    const edits = storageDefaults.compactOnLoadAbove + 20;
    let server = await startServer({ pk: historyParty });
    const editor = historyDoc();
    const peer = historyDoc();
    const editorProvider = makeProvider("y-websocket", server.url, "pk", "versions", editor);
    makeProvider("y-websocket", server.url, "pk", "versions", peer);
    await whenSynced(editorProvider);
    const text = editor.getText("t");
    let version: Y.Snapshot | undefined;
    for (let i = 0; i < edits; i++) {
      if (i === edits / 2) version = Y.snapshot(editor);
      if (i % 3 === 2) text.delete(0, 2);
      else text.insert(0, `<${i}>`);
      await until(peer, (d) => d.getText("t").toString() === text.toString(), `edit ${i} stored and shared`);
    }
    destroyProviders();
    expect((await server.server.storage.docs.stats("pk/versions")).updates).toBeGreaterThan(storageDefaults.compactOnLoadAbove);
    const expected = versionText(editor, version!);
    expect(expected).not.toBe(text.toString());

    for (const round of ["first restart (long log)", "second restart (compacted on load)"]) {
      server = await server.restart();
      const reader = historyDoc();
      await whenSynced(makeProvider("y-websocket", server.url, "pk", "versions", reader));
      expect(reader.getText("t").toString(), round).toBe(text.toString());
      expect(versionText(reader, version!), round).toBe(expected);
      destroyProviders();
    }
  });
});
