/**
 * Richer honest editors for the order check (docs/protocol.md, "Order"): real Y.Docs doing what editors do, whose
 * every update a room must take. Each run mixes
 * - ProseMirror/Tiptap-like content: a Y.XmlFragment of Y.XmlElements (attributes set and removed, children inserted,
 *   deleted and nested) holding Y.XmlTexts with formatting (inserts with attributes, formatted ranges, deletions
 *   across formats, embeds);
 * - a rich Y.Text (bold, italic, colour, overlapping formats, formats removed with null, embeds);
 * - nested types created, filled and deleted concurrently (maps in arrays in maps), map keys set by several editors,
 *   array pushes at both ends;
 * - a Y.UndoManager per editor (local changes tracked, as editors do): undo and redo, also of deletions and after
 *   others' concurrent edits;
 * with editors that keep deleted content (`gc: false`) or not, that hear the room only now and then, that go offline
 * and send everything they did then as one update (their sync step 2: `Y.encodeStateAsUpdate(doc, roomState)`), that
 * reconnect and send their whole state again, and new editors that load a stale snapshot of the room (or of an
 * editor's local copy) and edit from there. Online editors send each transaction's update (as y-websocket does),
 * a few at a time: those an editor sends together reach the room in one socket read (a burst).
 *
 * Seeded (`seededRandom`): the same run every time. The deliveries come out in the order the room receives them.
 */
import * as Y from "yjs";
import { seededRandom } from "./trace.js";

/** Updates of one editor that reach the room together (one socket read). */
export interface Delivery {
  /** Which editor sent them (an index; editors made from a snapshot get their own). */
  from: number;
  updates: Uint8Array[];
  /** What the updates are (for a failure's message). */
  kind: "live" | "step2" | "whole state" | "snapshot";
}

export interface HonestRun {
  deliveries: Delivery[];
  /** How many editors (and snapshot editors) took part. */
  editors: number;
  /** Undos and redos that threw inside Yjs (their changes so far are sent all the same). */
  undoThrew: number;
}

export interface HonestOptions {
  editors: number;
  /** Edits in all (one local transaction each, or one undo or redo). */
  edits: number;
  seed: number;
  /** What the editors edit (default all). */
  content?: ReadonlyArray<"prose" | "rich" | "nested">;
  /** How often an editor undoes or redoes instead of editing (default 0.12). */
  undo?: number;
}

/** The root types a run uses, by name: what a test compares. */
export const ROOTS = { prose: "prose", rich: "rich", nested: "nested" } as const;

/**
 * `contentOf` with every object's keys sorted: a map's JSON lists its keys in the order they reached the document,
 * which differs between documents that hold the same (one that took an update whole, one that took it in slices).
 */
export function sortedContentOf(doc: Y.Doc): unknown {
  return sortedKeys(contentOf(doc));
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, inner]) => [key, sortedKeys(inner)]));
}

/** The JSON of every root type a run uses, to compare a room's document with a reference. */
export function contentOf(doc: Y.Doc): unknown {
  return {
    prose: doc.getXmlFragment(ROOTS.prose).toJSON(),
    proseTexts: textsOf(doc.getXmlFragment(ROOTS.prose)),
    rich: doc.getText(ROOTS.rich).toDelta(),
    nested: doc.getMap(ROOTS.nested).toJSON(),
  };
}

/** Every XmlText under `type` as a delta (toJSON of a fragment drops embeds' content and attribute order). */
function textsOf(type: Y.XmlFragment | Y.XmlElement): unknown[] {
  const out: unknown[] = [];
  for (const child of type.toArray()) {
    if (child instanceof Y.XmlText) out.push(child.toDelta());
    else if (child instanceof Y.XmlElement) out.push({ [child.nodeName]: child.getAttributes(), children: textsOf(child) });
  }
  return out;
}

const SYNC = Symbol("from the room");
/** Formats (Yjs writes into the attributes it is given: `format` hands out copies). */
const FORMATS: ReadonlyArray<Record<string, unknown> | undefined> = [
  undefined,
  { bold: true },
  { italic: true },
  { bold: true, italic: true },
  { color: "#f00" },
  { link: { href: "https://example.com" } },
];
const format = (attributes: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
  attributes === undefined ? undefined : structuredClone(attributes);
const REMOVALS: ReadonlyArray<Record<string, unknown>> = [{ bold: null }, { italic: null }, { color: null }, { bold: null, italic: null }, { link: null }];
const BLOCKS = ["paragraph", "heading", "blockquote", "bulletList", "listItem"] as const;
const WORDS = ["a", "bc", "def", "ghij", " ", "xy z"] as const;

interface Editor {
  index: number;
  doc: Y.Doc;
  undo: Y.UndoManager;
  online: boolean;
  /** Updates of local transactions not yet sent (online: sent a few at a time). */
  outbox: Uint8Array[];
  /** Loaded from a snapshot and not synced yet. */
  fromSnapshot: boolean;
}

/** One seeded run of honest editors: the deliveries in the order the room receives them. */
export function honestEditorRun(options: HonestOptions): HonestRun {
  const random = seededRandom(options.seed);
  const chance = (p: number): boolean => random() < p;
  const below = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[below(items.length)]!;
  const content = options.content ?? ["prose", "rich", "nested"];
  const undoRate = options.undo ?? 0.12;
  // The room as the editors see it: what it has taken so far
  const room = new Y.Doc({ gc: chance(0.5) });
  const deliveries: Delivery[] = [];
  const editors: Editor[] = [];
  const snapshots: Uint8Array[] = [];
  let nextClient = 300 + below(50);
  let undoThrew = 0;

  const deliver = (from: number, updates: Uint8Array[], kind: Delivery["kind"]): void => {
    const kept = updates.filter((update) => !isEmpty(update));
    if (kept.length === 0) return;
    deliveries.push({ from, updates: kept, kind });
    for (const update of kept) Y.applyUpdate(room, update, SYNC);
  };
  const hear = (editor: Editor): void => Y.applyUpdate(editor.doc, Y.encodeStateAsUpdate(room, Y.encodeStateVector(editor.doc)), SYNC);

  const addEditor = (doc: Y.Doc): Editor => {
    const editor: Editor = {
      index: editors.length,
      doc,
      // Local changes only (origin null), as editors track them; a capture timeout of 0 makes each change its own
      // step, a huge one merges them until `stopCapturing` (time never decides: the run stays the same)
      undo: new Y.UndoManager(
        content.map((name) => (name === "prose" ? doc.getXmlFragment(ROOTS.prose) : name === "rich" ? doc.getText(ROOTS.rich) : doc.getMap(ROOTS.nested))),
        { captureTimeout: chance(0.5) ? 0 : 1e12, trackedOrigins: new Set([null]) },
      ),
      online: true,
      outbox: [],
      fromSnapshot: false,
    };
    doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin !== SYNC) editor.outbox.push(update);
    });
    editors.push(editor);
    return editor;
  };
  const newDoc = (gc: boolean): Y.Doc => {
    const doc = new Y.Doc({ gc });
    doc.clientID = nextClient;
    nextClient += 7 + below(5);
    return doc;
  };
  for (let i = 0; i < options.editors; i++) addEditor(newDoc(i % 2 === 0));

  for (let edit = 0; edit < options.edits; edit++) {
    const editor = pick(editors);
    const { doc } = editor;
    if (chance(undoRate)) {
      if (chance(0.3)) editor.undo.stopCapturing();
      // Yjs's redo of an item can throw half-way (a map entry whose neighbour is gone): what it did is still sent
      try {
        if (chance(0.55)) editor.undo.undo();
        else editor.undo.redo();
      } catch {
        undoThrew++;
      }
    } else {
      const what = pick(content);
      const ops = chance(0.2) ? 2 + below(3) : 1;
      doc.transact(() => {
        for (let op = 0; op < ops; op++) {
          if (what === "prose") editProse(doc.getXmlFragment(ROOTS.prose), random);
          else if (what === "rich") editRich(doc.getText(ROOTS.rich), random);
          else editNested(doc.getMap(ROOTS.nested), random, edit);
        }
      });
      if (chance(0.2)) editor.undo.stopCapturing();
    }

    // Online editors send their transactions' updates, a few at a time (together: one socket read)
    for (const other of editors) {
      if (other.online && other.outbox.length > 0 && chance(0.4)) deliver(other.index, other.outbox.splice(0), "live");
    }
    // Editors drop off (what they had not sent is sent by their next sync step 2) and come back
    if (chance(0.04)) {
      const flaky = pick(editors);
      flaky.online = !flaky.online;
      flaky.outbox.length = 0;
      if (flaky.online) {
        // Back: the room's step 1 answered with what it lacks; a few providers send the whole state instead
        const whole = chance(0.25);
        const update = whole ? Y.encodeStateAsUpdate(flaky.doc) : Y.encodeStateAsUpdate(flaky.doc, Y.encodeStateVector(room));
        deliver(flaky.index, [update], flaky.fromSnapshot ? "snapshot" : whole ? "whole state" : "step2");
        flaky.fromSnapshot = false;
        hear(flaky);
      }
    }
    // Some online editors hear the room (lag: the others keep editing what they had)
    if (chance(0.35)) {
      const listener = pick(editors);
      if (listener.online) {
        // Its own unsent updates first: a provider sends in order
        if (listener.outbox.length > 0) deliver(listener.index, listener.outbox.splice(0), "live");
        hear(listener);
      }
    }
    // Snapshots of the room (a backup, a server-side render) and of editors' local copies (IndexedDB)
    if (chance(0.02)) snapshots.push(chance(0.5) ? Y.encodeStateAsUpdate(room) : Y.encodeStateAsUpdate(pick(editors).doc));
    // A new editor loads a stale snapshot, edits offline, then syncs with its whole state
    if (snapshots.length > 0 && chance(0.01)) {
      const doc = newDoc(chance(0.5));
      Y.applyUpdate(doc, pick(snapshots), SYNC);
      const fresh = addEditor(doc);
      fresh.online = false;
      fresh.fromSnapshot = true;
    }
  }
  for (const editor of editors) {
    if (editor.online) deliver(editor.index, editor.outbox.splice(0), "live");
    else deliver(editor.index, [Y.encodeStateAsUpdate(editor.doc, Y.encodeStateVector(room))], editor.fromSnapshot ? "snapshot" : "step2");
    editor.outbox.length = 0;
  }
  for (const editor of editors) {
    editor.undo.destroy();
    editor.doc.destroy();
  }
  room.destroy();
  return { deliveries, editors: editors.length, undoThrew };
}

function isEmpty(update: Uint8Array): boolean {
  const decoded = Y.decodeUpdate(update);
  return decoded.structs.length === 0 && decoded.ds.clients.size === 0;
}

/** Every element and text under `type` (depth first), with the element holding each. */
function nodesOf(type: Y.XmlFragment | Y.XmlElement, out: Array<Y.XmlElement | Y.XmlText> = []): Array<Y.XmlElement | Y.XmlText> {
  for (const child of type.toArray()) {
    if (child instanceof Y.XmlElement) {
      out.push(child);
      nodesOf(child, out);
    } else if (child instanceof Y.XmlText) out.push(child);
  }
  return out;
}

/** A block as a rich-text editor makes it: an element with attributes and a text (a blockquote holds a paragraph). */
function block(random: () => number): Y.XmlElement {
  const name = BLOCKS[Math.floor(random() * BLOCKS.length)]!;
  const element = new Y.XmlElement(name);
  if (name === "heading") element.setAttribute("level", String(1 + Math.floor(random() * 3)));
  if (random() < 0.3) element.setAttribute("align", random() < 0.5 ? "left" : "center");
  if (name === "blockquote" || name === "bulletList") {
    const inner = new Y.XmlElement(name === "blockquote" ? "paragraph" : "listItem");
    const text = new Y.XmlText();
    text.insert(0, WORDS[Math.floor(random() * WORDS.length)]!);
    inner.insert(0, [text]);
    element.insert(0, [inner]);
  } else {
    const text = new Y.XmlText();
    if (random() < 0.8) text.insert(0, WORDS[Math.floor(random() * WORDS.length)]!, format(FORMATS[Math.floor(random() * FORMATS.length)]));
    element.insert(0, [text]);
  }
  return element;
}

function editProse(fragment: Y.XmlFragment, random: () => number): void {
  const below = (n: number): number => Math.floor(random() * n);
  const nodes = nodesOf(fragment);
  const roll = random();
  if (nodes.length === 0 || roll < 0.12) {
    fragment.insert(below(fragment.length + 1), [block(random)]);
    return;
  }
  const node = nodes[below(nodes.length)]!;
  if (node instanceof Y.XmlText) {
    editFormatted(node, random);
    return;
  }
  // An element: its attributes, its children
  if (roll < 0.3) node.setAttribute(random() < 0.5 ? "align" : "class", ["left", "right", "center", "x"][below(4)]!);
  else if (roll < 0.4) node.removeAttribute(random() < 0.5 ? "align" : "class");
  else if (roll < 0.55) node.insert(below(node.length + 1), [random() < 0.5 ? block(random) : textOf(random)]);
  else if (roll < 0.7 && node.length > 0) {
    const at = below(node.length);
    node.delete(at, 1 + below(Math.min(2, node.length - at)));
  } else if (roll < 0.8) {
    // A block deleted, or split (ProseMirror writes a changed paragraph as a new one)
    const parent = node.parent as Y.XmlFragment | Y.XmlElement | null;
    if (parent === null) return;
    const at = parent.toArray().indexOf(node);
    if (at < 0) return;
    parent.delete(at, 1);
    if (random() < 0.5) parent.insert(at, [block(random)]);
  } else if (fragment.length > 0) {
    const at = below(fragment.length);
    fragment.delete(at, 1 + below(Math.min(2, fragment.length - at)));
  }
}

function textOf(random: () => number): Y.XmlText {
  const text = new Y.XmlText();
  text.insert(0, WORDS[Math.floor(random() * WORDS.length)]!, format(FORMATS[Math.floor(random() * FORMATS.length)]));
  return text;
}

/** What an editor does to formatted text: typing with formats, formatting ranges, removing formats, deleting, embeds. */
function editFormatted(text: Y.Text, random: () => number): void {
  const below = (n: number): number => Math.floor(random() * n);
  const length = text.length;
  const at = below(length + 1);
  const roll = random();
  if (length === 0 || roll < 0.4) text.insert(at, WORDS[below(WORDS.length)]!, format(FORMATS[below(FORMATS.length)]));
  else if (roll < 0.55) text.format(Math.min(at, length - 1), 1 + below(length - Math.min(at, length - 1)), format(FORMATS[1 + below(FORMATS.length - 1)])!);
  else if (roll < 0.65) text.format(Math.min(at, length - 1), 1 + below(length - Math.min(at, length - 1)), format(REMOVALS[below(REMOVALS.length)])!);
  else if (roll < 0.72) text.insertEmbed(at, { image: `i${below(100)}.png` }, random() < 0.5 ? { width: 10 } : {});
  else if (roll < 0.8)
    text.applyDelta([
      { retain: at },
      { insert: WORDS[below(WORDS.length)]!, attributes: format(FORMATS[below(FORMATS.length)]) ?? {} },
      ...(at < length ? [{ delete: Math.min(2, length - at) }] : []),
    ]);
  else {
    const from = Math.min(at, length - 1);
    text.delete(from, 1 + below(Math.min(6, length - from)));
  }
}

function editRich(text: Y.Text, random: () => number): void {
  editFormatted(text, random);
}

/** Maps in arrays in maps: created, filled and deleted concurrently; keys set by several editors; pushes at both ends. */
function editNested(root: Y.Map<unknown>, random: () => number, edit: number): void {
  const below = (n: number): number => Math.floor(random() * n);
  const key = ["a", "b", "c", "d"][below(4)]!;
  const value = root.get(key);
  const roll = random();
  if (roll < 0.1) {
    const list = new Y.Array<unknown>();
    const inner = new Y.Map<unknown>();
    inner.set("n", edit);
    list.push([inner, edit]);
    root.set(key, random() < 0.7 ? list : new Y.Map());
  } else if (roll < 0.16) root.delete(key);
  else if (roll < 0.22) root.set(key, edit);
  else if (value instanceof Y.Array) {
    const r = random();
    if (r < 0.25) value.push([random() < 0.5 ? edit : mapWith(edit, random)]);
    else if (r < 0.45) value.unshift([random() < 0.5 ? edit : mapWith(edit, random)]);
    else if (r < 0.6 && value.length > 0) {
      const at = below(value.length);
      value.delete(at, 1 + below(Math.min(2, value.length - at)));
    } else if (value.length > 0) {
      // Inside a map in the array: keys set, nested arrays filled
      const inner = value.get(below(value.length));
      if (inner instanceof Y.Map) editInner(inner, random, edit);
      else value.insert(below(value.length + 1), [edit]);
    } else value.push([edit]);
  } else if (value instanceof Y.Map) editInner(value, random, edit);
  else root.set(key, mapWith(edit, random));
}

function mapWith(edit: number, random: () => number): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  map.set("n", edit);
  if (random() < 0.4) map.set("list", Y.Array.from([edit]));
  return map;
}

function editInner(map: Y.Map<unknown>, random: () => number, edit: number): void {
  const roll = random();
  const list = map.get("list");
  if (roll < 0.35) map.set(["n", "x", "y"][Math.floor(random() * 3)]!, edit);
  else if (roll < 0.45) map.delete(["n", "x", "y", "list"][Math.floor(random() * 4)]!);
  else if (list instanceof Y.Array) {
    const pushes = random() < 0.5;
    if (pushes) list.push([random() < 0.3 ? mapWith(edit, random) : edit]);
    else {
      const unshifts = random() < 0.5;
      if (unshifts) list.unshift([edit]);
      else if (list.length > 0) list.delete(Math.floor(random() * list.length), 1);
    }
  } else map.set("list", Y.Array.from([edit]));
}
