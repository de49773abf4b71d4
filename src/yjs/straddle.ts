/**
 * An item that starts before what a document has of its client and ends after it is applied in part: Yjs keeps
 * the new tail and links it after the item the document holds at the clock before it, assuming that item is the
 * head of the same one (same content, same place). A forged item breaks that assumption: its tail is linked into
 * one type while it claims another, and the document's encoding (what fresh clients and reloads get) then places
 * it elsewhere than the live document does. Refused when the place it claims is not the place of the item before.
 * The unit before may be collected (a GC: anyone may send one for clocks the room has not seen): its place is
 * nowhere, and Yjs takes the tail only when it goes nowhere too (its origin, right origin or parent is collected: it
 * becomes a GC); otherwise it looks for the GC's neighbours, which a GC has not, and throws half-way through the update.
 */
import * as Y from "yjs";

type Struct = Y.Item | Y.GC | Y.Skip;

/** Why an item of `update` cannot be applied in part to `doc`, or `undefined`. Decodes the update: call it rarely. */
export function straddleError(doc: Y.Doc, update: Uint8Array): string | undefined {
  const { store } = doc;
  for (const struct of Y.decodeUpdate(update).structs as Struct[]) {
    if (!(struct instanceof Y.Item)) continue;
    const state = Y.getState(store, struct.id.client);
    if (!(struct.id.clock < state && state < struct.id.clock + struct.length)) continue;
    const before = Y.getItem(store, Y.createID(struct.id.client, state - 1)) as Y.Item | Y.GC;
    const claimed = placeOf(doc, struct);
    if (claimed === undefined) continue; // it waits for what it refers to, and is checked again then
    if (!(before instanceof Y.Item)) {
      if (claimed !== null) return "an item overlaps one the room has collected, and is not collected itself";
      continue; // Yjs collects the tail
    }
    if (claimed !== null && (claimed.parent !== before.parent || claimed.parentSub !== before.parentSub)) {
      return "an item overlaps one the room has, in another place";
    }
  }
  return undefined;
}

/** Where `item` goes in `doc`: `null` nowhere (it becomes a GC: as Yjs, when a neighbour it names is one), `undefined` not known yet. */
function placeOf(doc: Y.Doc, item: Y.Item): { parent: unknown; parentSub: string | null } | null | undefined {
  const left = item.origin === null ? null : find(doc, item.origin);
  const right = item.rightOrigin === null ? null : find(doc, item.rightOrigin);
  if (left === undefined || right === undefined) return undefined;
  if (left instanceof Y.GC || right instanceof Y.GC) return null;
  const neighbour = left ?? right;
  if (neighbour !== null) return { parent: neighbour.parent, parentSub: neighbour.parentSub };
  const parent = item.parent as unknown;
  if (typeof parent === "string") return { parent: doc.share.get(parent) ?? `a new root ${parent}`, parentSub: item.parentSub };
  if (!(parent instanceof Y.ID)) return null;
  const found = find(doc, parent);
  if (found === undefined) return undefined;
  if (!(found instanceof Y.Item) || !(found.content instanceof Y.ContentType)) return null;
  return { parent: found.content.type, parentSub: item.parentSub };
}

function find(doc: Y.Doc, id: Y.ID): Y.Item | Y.GC | undefined {
  return id.clock < Y.getState(doc.store, id.client) ? (Y.getItem(doc.store, id) as Y.Item | Y.GC) : undefined;
}
