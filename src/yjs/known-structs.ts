/**
 * Yjs skips the structs of an update that a document has already (by ID), assuming they are the same. A connection
 * that writes under another client's id at clocks that client is using offline breaks that assumption: when the
 * client comes back, its own structs are skipped as known, the room acknowledges them, and the client reads its text
 * while everyone else reads the other for good. An update whose known part differs from what the document holds
 * under those IDs (other content, or another place) is refused instead (ERR_INVALID_UPDATE): the client is told
 * (`change-refused`) rather than told it is saved. What the document has collected or emptied (deleted content)
 * cannot be compared, and passes; values are compared in the form the wire gives them (a Date server code wrote
 * arrives as `{}`, a lone surrogate as U+FFFD), and whatever cannot be compared passes: honest traffic is never
 * refused for what this check cannot tell.
 */
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import { sameBytes } from "./frames.js";

type Struct = Y.Item | Y.GC | Y.Skip;

/** Why the known part of `update` is not what `doc` holds under its IDs, or `undefined`. Decodes the update: call it rarely. */
export function knownStructsError(doc: Y.Doc, update: Uint8Array): string | undefined {
  try {
    return firstDifference(doc, update);
  } catch {
    return undefined; // not comparable: passes
  }
}

function firstDifference(doc: Y.Doc, update: Uint8Array): string | undefined {
  const { store } = doc;
  for (const struct of Y.decodeUpdate(update).structs as Struct[]) {
    if (!(struct instanceof Y.Item)) continue;
    const { client, clock } = struct.id;
    const end = Math.min(clock + struct.length, Y.getState(store, client));
    if (end <= clock) continue; // nothing of it known
    const incoming = unitsOf(struct.content);
    for (let at = clock; at < end; ) {
      const held = Y.getItem(store, Y.createID(client, at)) as Y.Item | Y.GC;
      const heldEnd = Math.min(end, held.id.clock + held.length);
      if (held instanceof Y.Item) {
        const problem = differs(doc, struct, held, at, heldEnd, incoming);
        if (problem !== undefined) return `the room holds ${problem} under its IDs: another connection wrote under this client id`;
      }
      at = heldEnd;
    }
  }
  return undefined;
}

/** How `struct` and `held` differ over the units `from`..`to` (both hold them), or `undefined`. */
function differs(doc: Y.Doc, struct: Y.Item, held: Y.Item, from: number, to: number, incoming: readonly unknown[] | null): string | undefined {
  const first = from - struct.id.clock;
  const firstHeld = from - held.id.clock;
  // The first unit's left neighbour: the item's origin at its start, the unit before it inside.
  const origin = first === 0 ? struct.origin : Y.createID(struct.id.client, from - 1);
  const heldOrigin = firstHeld === 0 ? held.origin : Y.createID(held.id.client, from - 1);
  if (!Y.compareIDs(origin, heldOrigin) || !Y.compareIDs(struct.rightOrigin, held.rightOrigin)) return "other neighbours";
  if (struct.origin === null && struct.rightOrigin === null && !sameParent(doc, struct, held)) return "another type";
  const heldUnits = unitsOf(held.content);
  if (incoming === null || heldUnits === null) return undefined; // deleted content: nothing to compare
  if (struct.content.constructor !== held.content.constructor) return "another kind of content";
  // JSON contents (embeds, formats, y-js ContentJSON) go on the wire as JSON text; the rest as Yjs writes values.
  const same = held.content instanceof Y.ContentEmbed || held.content instanceof Y.ContentFormat || held.content instanceof Y.ContentJSON ? sameJson : sameUnit;
  for (let i = 0; i < to - from; i++) {
    if (!same(incoming[first + i], heldUnits[firstHeld + i])) return "other content";
  }
  return undefined;
}

/** The units of an item's content, comparable one by one; `null` for deleted content (its length only). */
function unitsOf(content: Y.Item["content"]): readonly unknown[] | null {
  if (content instanceof Y.ContentDeleted) return null;
  if (content instanceof Y.ContentType) return [content.type.constructor];
  if (content instanceof Y.ContentDoc) return [content.doc?.guid];
  return content.getContent();
}

function sameUnit(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Yjs replaces a surrogate pair split between two items with U+FFFD in each: a unit of one may be that of the other.
  if (typeof a === "string" && typeof b === "string" && a.length === 1) return isSplitSurrogate(a) || isSplitSurrogate(b);
  return sameBytes(anyBytes(a), anyBytes(b));
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** `value` as Yjs writes it (lib0's `writeAny`: a Date as `{}`, strings as UTF-8): what the wire can tell apart. */
function anyBytes(value: unknown): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeAny(encoder, value as Parameters<typeof encoding.writeAny>[1]);
  return encoding.toUint8Array(encoder);
}

function isSplitSurrogate(unit: string): boolean {
  const code = unit.charCodeAt(0);
  return unit === "\ufffd" || (code >= 0xd800 && code <= 0xdfff);
}

/** For an item with no neighbours: the type it names (a root's name, or the item holding the type) is the held one's. */
function sameParent(doc: Y.Doc, struct: Y.Item, held: Y.Item): boolean {
  if (struct.parentSub !== held.parentSub) return false;
  const parent = struct.parent as unknown;
  const heldType = held.parent as Y.AbstractType<unknown>;
  if (typeof parent === "string") return doc.share.get(parent) === heldType;
  if (parent instanceof Y.ID) return heldType._item !== null && Y.compareIDs(parent, heldType._item.id);
  return true; // not named (Yjs takes it from a neighbour): nothing to compare
}
