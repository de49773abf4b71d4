/**
 * Honest editors the order check once refused (found by an adversarial hunt, test/yjs/honest-editors.test.ts):
 * - Yjs's UndoManager, redoing an item whose neighbours were both redone, names one unit as its origin and right
 *   origin (yjs/yjs#794). The walk leaves such an item to the copy check, which takes it when a reload agrees.
 * - An editor that keeps deleted content heard from a peer that collects it (another tab, a WebRTC peer): it knows a
 *   unit in a deleted list only as collected, never having seen it there, and then writes into that list. A room that
 *   keeps deleted content has the unit between the neighbours the editor names; the copy check decides there too.
 * Each: the room takes every update, equals a document that applied them all, and equals its reload.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { reloadDiffers } from "./support/reload-compare.js";
import { openSession, stopAll } from "./support/sessions.js";

afterEach(stopAll);

/** The updates `docs` make, in the order they make them (changes they hear from each other are not sent again). */
function recorder(...docs: Y.Doc[]): Uint8Array[] {
  const updates: Uint8Array[] = [];
  for (const doc of docs) doc.on("update", (update: Uint8Array, origin: unknown) => origin !== "heard" && updates.push(update));
  return updates;
}

const hear = (from: Y.Doc, to: Y.Doc) => Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)), "heard");

async function roomTakesAll(updates: readonly Uint8Array[], gc: boolean, json: (doc: Y.Doc) => unknown): Promise<void> {
  const session = await openSession({ room: `honest-${Math.random()}`, gc });
  const reference = new Y.Doc({ gc });
  for (const [index, update] of updates.entries()) {
    await session.applyUpdate(update).catch((error: Error) => {
      throw new Error(`update ${index} of ${updates.length} refused: ${error.message}`);
    });
    Y.applyUpdate(reference, update);
  }
  expect(json(session.doc)).toEqual(json(reference));
  expect(Y.encodeStateVector(session.doc)).toEqual(Y.encodeStateVector(reference));
  expect(reloadDiffers(session.doc)).toBeUndefined();
}

describe("honest editors the order check must take", () => {
  for (const gc of [true, false]) {
    it(`an UndoManager's redo naming one unit as both neighbours (room gc: ${gc})`, async () => {
      const a = new Y.Doc({ gc: false });
      a.clientID = 1;
      const b = new Y.Doc({ gc: false });
      b.clientID = 2;
      const updates = recorder(a, b);
      const root = a.getArray<Y.Array<string>>("root");
      const undo = new Y.UndoManager(root, { captureTimeout: 0 });
      const list = new Y.Array<string>();
      root.insert(0, [list]);
      list.insert(0, ["x"]);
      undo.stopCapturing();
      undo.clear();
      list.delete(0, 1);
      undo.undo(); // x again, left of the deleted x
      hear(a, b);
      b.getArray<Y.Array<string>>("root").get(0).insert(1, ["p"]); // another editor: between the two
      hear(b, a);
      root.get(0).delete(1, 1); // p deleted on its own
      undo.stopCapturing();
      root.delete(0, 1); // the list deleted
      undo.undo(); // the list back
      undo.undo(); // p back: Yjs names the restored x as its origin and right origin
      expect(root.toJSON()).toEqual([["x", "p"]]);
      await roomTakesAll(updates, gc, (doc) => doc.getArray("root").toJSON());
    });

    it(`an editor that knows a unit only as collected, from a peer (room gc: ${gc})`, async () => {
      const peer = new Y.Doc({ gc: true });
      peer.clientID = 1;
      const editor = new Y.Doc({ gc: false });
      editor.clientID = 2;
      const updates = recorder(peer, editor);
      editor.getMap("m").set("k", new Y.Array<string>());
      hear(editor, peer);
      (peer.getMap("m").get("k") as Y.Array<string>).push(["xA"]); // both push into the empty list at once
      const list = editor.getMap("m").get("k") as Y.Array<string>;
      list.push(["yB"]);
      hear(editor, peer);
      peer.getMap("m").delete("k"); // the peer deletes the list and collects its items
      peer.getText("t").insert(0, "hi");
      hear(peer, editor); // the editor learns of xA only as collected
      expect(Y.getItem(editor.store, Y.createID(1, 0))).toBeInstanceOf(Y.GC);
      editor.getText("t").insert(2, "!");
      list.unshift(["zB"]); // into the list it still holds: names yB, with xA unseen between
      await roomTakesAll(updates, gc, (doc) => ({ t: doc.getText("t").toString(), m: doc.getMap("m").toJSON() }));
    });
  }
});
