/**
 * Forged updates aimed at the proved concurrent-insert check (src/yjs/passed-tails.ts), built against the room's
 * document: a forger's next item naming its own previous unit as origin and no right origin (what the room proves
 * when that unit passed naming no right origin), alone or with what must keep the proof from applying or must void
 * it for the next item: a right origin (next to the origin or anywhere), an origin elsewhere (the forger's past then
 * holds other items, some of them maybe right of where it goes), a second item or a second client in the update, a
 * clock gap (the item waits; the next one fills the gap), deletions (of its previous unit, of others), a byte after
 * the update (refused once its items passed the walk), contents other than text, a map entry's chain, and the
 * generic structural mutations on top.
 */
import * as Y from "yjs";
import { encodeStructs, type ItemContent, type RawId, type RawStruct, type RawUpdate } from "./struct-codec.js";
import { mutateUpdate, type MutationContext } from "./update-mutator.js";

type Item = Extract<RawStruct, { kind: "item" }>;

/** One forged update of `client` (with now and then an item of another of `forgers` in it). */
export function proofShapedUpdate(doc: Y.Doc, client: number, forgers: readonly number[], context: MutationContext): Uint8Array {
  const { random } = context;
  const int = (n: number): number => Math.floor(random() * n);
  const clock = Y.getState(doc.store, client);
  const first = nextItem(client, clock, context);
  const raw: RawUpdate = { sections: [{ client, clock, structs: [first] }], deletes: [] };
  const roll = random();
  if (roll < 0.6) {
    // as the fan-out sends it
  } else if (roll < 0.67) first.rightOrigin = random() < 0.5 ? (unitRightOf(doc, first.origin) ?? pickUnit(doc, context)) : pickUnit(doc, context);
  else if (roll < 0.74) {
    first.origin = pickUnit(doc, context) ?? first.origin;
    if (random() < 0.4) first.rightOrigin = unitRightOf(doc, first.origin);
  } else if (roll < 0.8) {
    const second = nextItem(client, clock + first.content.getLength(), context);
    if (random() < 0.3) second.rightOrigin = pickUnit(doc, context);
    raw.sections[0]!.structs.push(second);
  } else if (roll < 0.86) {
    const others = forgers.filter((forger) => forger !== client);
    const other = others[int(others.length)]!;
    const otherClock = Y.getState(doc.store, other);
    const section = { client: other, clock: otherClock, structs: [nextItem(other, otherClock, context)] };
    // Yjs integrates clients from the highest down; the other order leaves the walk to the copy check
    if (other > client === random() < 0.8) raw.sections.unshift(section);
    else raw.sections.push(section);
  } else if (roll < 0.9) {
    // A gap: it waits until an update of the client fills it, then is retried (with the proof when it fits)
    const section = raw.sections[0]!;
    section.clock += 1 + int(3);
    section.structs[0] = nextItem(client, section.clock, context);
  } else if (roll < 0.95) {
    const target = random() < 0.5 && clock > 0 ? { client, clock: clock - 1 } : (pickUnit(doc, context) ?? { client, clock: 0 });
    raw.deletes.push({ client: target.client, ranges: [[target.clock, 1 + int(2)]] });
  } else if (roll < 0.97)
    return Uint8Array.of(...encodeStructs(raw), 0); // refused only after its items passed the walk
  else return mutateUpdate(encodeStructs(raw), context);
  return encodeStructs(raw);
}

/** An item of `client` at `clock` as the fan-out sends it: after its previous unit, or (the first) into a root. */
function nextItem(client: number, clock: number, context: MutationContext): Item {
  const { random } = context;
  const content = contentOf(random);
  if (clock > 0) return { kind: "item", origin: { client, clock: clock - 1 }, rightOrigin: null, parent: null, parentSub: null, content };
  // A first item: the text, or a map entry (the client's next items then extend that entry's chain)
  const inMap = random() < 0.2;
  return { kind: "item", origin: null, rightOrigin: null, parent: inMap ? "m" : "text", parentSub: inMap ? "k" : null, content };
}

function contentOf(random: () => number): ItemContent {
  const roll = random();
  if (roll < 0.8) return new Y.ContentString("pqr".slice(0, 1 + Math.floor(random() * 3)));
  if (roll < 0.9) return new Y.ContentDeleted(1 + Math.floor(random() * 2));
  if (roll < 0.97) return new Y.ContentAny([Math.floor(random() * 10)]);
  return new Y.ContentType(new Y.Text());
}

/** A unit of the document's text, at random (most forged references aim there), or a known ID now and then. */
function pickUnit(doc: Y.Doc, context: MutationContext): RawId | null {
  const items: Y.Item[] = [];
  for (let item = doc.getText("text")._start; item !== null; item = item.right) items.push(item);
  if (items.length === 0 || context.random() < 0.15) return context.known[Math.floor(context.random() * context.known.length)] ?? null;
  const item = items[Math.floor(context.random() * items.length)]!;
  return { client: item.id.client, clock: item.id.clock + Math.floor(context.random() * item.length) };
}

/** The unit right of `unit` in its list (`null` at the end, or when the document lacks it). */
function unitRightOf(doc: Y.Doc, unit: RawId | null): RawId | null {
  if (unit === null || unit.clock >= Y.getState(doc.store, unit.client)) return null;
  const item = Y.getItem(doc.store, Y.createID(unit.client, unit.clock));
  if (!(item instanceof Y.Item)) return null;
  if (unit.clock < item.id.clock + item.length - 1) return { client: unit.client, clock: unit.clock + 1 };
  return item.right === null ? null : { client: item.right.id.client, clock: item.right.id.clock };
}
