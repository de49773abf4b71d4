/**
 * Honest concurrent traffic, many inserts at one place: `editors` Yjs documents type into one text (often at the
 * same spot, a cursor shared by all), each sending its updates in order, and each hearing the others only now and
 * then (a random lag). The updates come out in the order a server receives them. Seeded: the same run every time.
 */
import * as Y from "yjs";
import { seededRandom } from "./trace.js";

export interface ConcurrentRun {
  /** Every update, in the order the server receives them (each editor's in its own order). */
  updates: Uint8Array[];
}

export function concurrentEditorUpdates(options: { editors: number; edits: number; seed: number; maps?: boolean }): ConcurrentRun {
  const random = seededRandom(options.seed);
  const editors = Array.from({ length: options.editors }, (_, i) => {
    const doc = new Y.Doc();
    doc.clientID = 100 + i * 7;
    return { doc, outbox: [] as Uint8Array[], heard: 0 };
  });
  for (const editor of editors) editor.doc.on("update", (update: Uint8Array, origin: unknown) => origin !== "sync" && editor.outbox.push(update));
  const updates: Uint8Array[] = [];
  for (let edit = 0; edit < options.edits; edit++) {
    const editor = editors[Math.floor(random() * editors.length)]!;
    const text = editor.doc.getText("text");
    const length = text.length;
    // Most edits at the start, the middle or the end (where others type too), some anywhere
    const spots = [0, length >> 1, length, Math.floor(random() * (length + 1))];
    const at = Math.min(length, spots[Math.floor(random() * spots.length)]!);
    if (random() < 0.15 && length > 0) text.delete(Math.min(at, length - 1), 1 + Math.floor(random() * Math.min(3, length - Math.min(at, length - 1))));
    else if (options.maps && random() < 0.1) editor.doc.getMap("m").set(["a", "b", "c"][Math.floor(random() * 3)]!, edit);
    else text.insert(at, "xyz".slice(0, 1 + Math.floor(random() * 3)));
    // Some editors' updates reach the server now, in each editor's order
    for (const other of editors) if (random() < 0.5) updates.push(...other.outbox.splice(0));
    // Some editors hear what the server has now (lag: others keep typing on what they had)
    if (random() < 0.3) {
      const listener = editors[Math.floor(random() * editors.length)]!;
      for (const update of updates.slice(listener.heard)) Y.applyUpdate(listener.doc, update, "sync");
      listener.heard = updates.length;
    }
  }
  for (const editor of editors) updates.push(...editor.outbox.splice(0));
  for (const editor of editors) editor.doc.destroy();
  return { updates };
}
