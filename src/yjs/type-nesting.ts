/**
 * How deep an update would nest shared types in a document, checked before it is applied. Yjs deletes and
 * collects a type's content recursively (Item.delete → ContentType.delete → …), as do the JSON export and user
 * code, so a chain of a few thousand nested types overflows the stack half-way through deleting it: a live
 * document that disagrees with its peers and its store. Only updates that hold shared types are decoded here
 * (the format walk counts them), so typing costs nothing more.
 *
 * A type's depth: a root type is 0, a type inside it 1, and so on. An item's place is its parent (a root by
 * name, or a type item by ID) or, when it has an origin, its origin's place, as in Yjs's `getMissing`.
 */
import * as Y from "yjs";

/** The item sits in no type: it becomes a GC struct in Yjs (its parent is collected or not a type). */
const NOWHERE = -1;
/** The item's place depends on structs the document has not seen (it would stay pending). */
const UNSEEN = -2;

type Struct = Y.Item | Y.GC | Y.Skip;

/** Why `update` nests types too deep for `doc`, or `undefined`. */
export function typeNestingError(doc: Y.Doc, update: Uint8Array, maxDepth: number): string | undefined {
  const places = new Places(doc, Y.decodeUpdate(update).structs);
  for (const item of places.typeItems()) {
    const place = places.depthOfPlace(item);
    if (place === UNSEEN) return "it nests a shared type under items the room has not seen; send what it depends on first";
    if (place + 1 > maxDepth) return `it nests shared types deeper than ${maxDepth} levels`;
  }
  return undefined;
}

class Places {
  /** The update's structs per client, by clock. */
  readonly #byClient = new Map<number, Struct[]>();
  /** Depth of the type each of the update's items sits in (memo). */
  readonly #placeOf = new Map<Y.Item, number>();
  readonly #typeDepth = new Map<Y.AbstractType<any>, number>();

  constructor(
    private readonly doc: Y.Doc,
    private readonly structs: Struct[],
  ) {
    for (const struct of structs) {
      const list = this.#byClient.get(struct.id.client);
      if (list) list.push(struct);
      else this.#byClient.set(struct.id.client, [struct]);
    }
  }

  *typeItems(): Iterable<Y.Item> {
    for (const struct of this.structs) if (struct instanceof Y.Item && struct.content instanceof Y.ContentType) yield struct;
  }

  /**
   * The depth of the type `item` will sit in. Follows origins and parents through the update without recursion
   * (an origin chain can be as long as the update), then records the answer for every item on the way.
   */
  depthOfPlace(item: Y.Item): number {
    const path: Array<{ item: Y.Item; step: number }> = [];
    const visited = new Set<Y.Item>();
    let current = item;
    let depth: number;
    for (;;) {
      const known = this.#placeOf.get(current);
      if (known !== undefined) {
        depth = known;
        break;
      }
      if (visited.has(current)) {
        depth = UNSEEN; // refers in a circle: Yjs would keep it pending
        break;
      }
      visited.add(current);
      const next = this.#next(current);
      if (typeof next === "number") {
        path.push({ item: current, step: 0 });
        depth = next;
        break;
      }
      path.push({ item: current, step: next.step });
      current = next.item;
    }
    for (let i = path.length - 1; i >= 0; i--) {
      const { item: on, step } = path[i]!;
      if (depth >= 0) depth += step;
      this.#placeOf.set(on, depth);
    }
    return depth;
  }

  /** Where `item`'s place comes from: a depth, or another of the update's items (plus 1 through a parent). */
  #next(item: Y.Item): number | { item: Y.Item; step: number } {
    const parent = item.parent as unknown;
    if (typeof parent === "string") return 0;
    if (parent instanceof Y.ID) {
      const found = this.#find(parent);
      if (found instanceof Y.Item) {
        if (!(found.content instanceof Y.ContentType)) return NOWHERE;
        return this.#isInDoc(found) ? this.#depthOf(found.content.type) : { item: found, step: 1 };
      }
      return found === undefined ? UNSEEN : NOWHERE;
    }
    const neighbour = item.origin ?? item.rightOrigin;
    if (neighbour === null) return UNSEEN;
    const found = this.#find(neighbour);
    if (found instanceof Y.Item) {
      if (!this.#isInDoc(found)) return { item: found, step: 0 };
      return found.parent instanceof Y.AbstractType ? this.#depthOf(found.parent) : NOWHERE;
    }
    return found === undefined ? UNSEEN : NOWHERE;
  }

  /** The struct holding `id`: the document's when it has it, else the update's (a Skip there is a gap). */
  #find(id: Y.ID): Y.Item | Y.GC | undefined {
    if (id.clock < Y.getState(this.doc.store, id.client)) return Y.getItem(this.doc.store, id) as Y.Item | Y.GC;
    const list = this.#byClient.get(id.client);
    if (!list) return undefined;
    let low = 0;
    let high = list.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const struct = list[middle]!;
      if (id.clock < struct.id.clock) high = middle - 1;
      else if (id.clock >= struct.id.clock + struct.length) low = middle + 1;
      else return struct instanceof Y.Skip ? undefined : struct;
    }
    return undefined;
  }

  #isInDoc(item: Y.Item): boolean {
    return item.parent instanceof Y.AbstractType;
  }

  /** The depth of a type of the document: the number of type items above it. */
  #depthOf(type: Y.AbstractType<any>): number {
    const known = this.#typeDepth.get(type);
    if (known !== undefined) return known;
    let depth = 0;
    for (let item = type._item; item !== null; item = (item.parent as Y.AbstractType<any>)._item) depth++;
    this.#typeDepth.set(type, depth);
    return depth;
  }
}
