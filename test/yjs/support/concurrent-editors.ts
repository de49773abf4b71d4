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

/**
 * Honest editors that go offline and come back, in documents with nested types: maps and arrays inside a root map,
 * set, filled and deleted while others edit inside them. An editor that comes back sends everything it did offline
 * as one update (its sync step 2: the structs the server lacks), so one update holds items Yjs collects (their type
 * was deleted meanwhile) among ones it places. Some editors keep deleted content (`gc: false`, as for version
 * history): their changes inside a deleted type stay items, where others' have become GC structs.
 */
export function offlineNestedUpdates(options: { editors: number; edits: number; seed: number }): ConcurrentRun {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const server = new Y.Doc();
  const editors = Array.from({ length: options.editors }, (_, i) => {
    const doc = new Y.Doc({ gc: i % 2 === 0 });
    doc.clientID = 200 + i * 11;
    return { doc, offline: false };
  });
  const updates: Uint8Array[] = [];
  const send = (doc: Y.Doc): void => {
    const update = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(server));
    const { structs, ds } = Y.decodeUpdate(update);
    if (structs.length === 0 && ds.clients.size === 0) return;
    updates.push(update);
    Y.applyUpdate(server, update);
  };
  const hear = (doc: Y.Doc): void => Y.applyUpdate(doc, Y.encodeStateAsUpdate(server, Y.encodeStateVector(doc)), "sync");
  for (let edit = 0; edit < options.edits; edit++) {
    const editor = pick(editors);
    const { doc } = editor;
    const root = doc.getMap("m");
    const key = pick(["a", "b", "c"]);
    const nested = root.get(key);
    const roll = random();
    if (roll < 0.15) root.set(key, random() < 0.5 ? new Y.Map() : new Y.Array());
    else if (roll < 0.25) root.delete(key);
    else if (roll < 0.55 && nested instanceof Y.Map) nested.set(pick(["x", "y"]), edit);
    else if (roll < 0.7 && nested instanceof Y.Array) nested.insert(Math.floor(random() * (nested.length + 1)), [edit]);
    else {
      const text = doc.getText("t");
      text.insert(Math.floor(random() * (text.length + 1)), "ab".slice(0, 1 + Math.floor(random() * 2)));
    }
    if (!editor.offline) send(doc);
    // Editors drop off and come back; one that comes back sends what it did offline, then hears the room
    if (random() < 0.05) {
      editor.offline = !editor.offline;
      if (!editor.offline) send(doc);
    }
    if (!editor.offline && random() < 0.3) hear(doc);
  }
  for (const editor of editors) send(editor.doc);
  for (const editor of editors) editor.doc.destroy();
  server.destroy();
  return { updates };
}
