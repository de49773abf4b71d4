/**
 * What the update walk (src/protocol/update-format.ts) asks of a room's document right before an update is
 * applied: its state per client, whether an item's right origin comes after its origin in the same list, and
 * whether each item the update adds goes right between the neighbours it names.
 *
 * Yjs places an item between its origin and right origin; when other items lie between them (concurrent inserts,
 * or a forged item naming neighbours far apart), it resolves the conflict by rules that give the same order on
 * every replica only for items as Yjs writes them. For a forged one, the order of arrival decides: a reload or a
 * fresh client (which integrate the document in another order) could place it otherwise than the live room.
 * An item whose named neighbours are next to each other when it arrives has one place, whatever arrives later:
 * the view follows the update's items into the document (without changing it) to tell which items are such.
 */
import * as Y from "yjs";
import type { DocumentView, NewItem } from "../protocol/update-format.js";
import { MAX_ORDER_STEPS_PER_UPDATE } from "./defaults.js";

/** Where a list ends or begins, as a neighbour's client (clients are unsigned). */
const EDGE = -1;
/** Numbers per placed item in `#placed`: its client, first and last clock, and the units left and right of it. */
const STRIDE = 7;
/**
 * Items of one update the view follows; past that it counts the rest as not placed (and the update is checked on a
 * copy): the lookups scan the placed items, which stays cheap for an editor's updates (one to a few items).
 */
const MAX_PLACED = 2_048;
const NONE: readonly number[] = [];

/** A neighbour: a unit (one character, one value) by ID, or `EDGE`; `null` when collected, `undefined` unknown. */
type Neighbour = { client: number; clock: number } | null | undefined;

export class YDocumentView implements DocumentView {
  /** Steps left for this update's order checks (legit inserts take one: their origins were neighbours). */
  #budget = MAX_ORDER_STEPS_PER_UPDATE;
  /** The update's items placed so far, `STRIDE` numbers each (neighbours as they were when it was placed). */
  #placed: number[] | undefined;
  /** Lists and map keys an item without origins of the update went into: parent (name or ID) and key. */
  #filled: Array<string | number | null> | undefined;
  /** Clients with a GC or skip in the update: their new units are not told apart from those of items. */
  #withNonItems: Set<number> | undefined;
  /** Scratch result of `#right` / `#left`, to return a unit without allocating. */
  readonly #found = { client: 0, clock: 0 };

  constructor(private readonly doc: Y.Doc) {}

  state(client: number): number {
    return Y.getState(this.doc.store, client);
  }

  inOrder(originClient: number, originClock: number, rightClient: number, rightClock: number): boolean {
    const { store } = this.doc;
    const left = Y.getItem(store, Y.createID(originClient, originClock)) as Y.Item | Y.GC;
    const right = Y.getItem(store, Y.createID(rightClient, rightClock)) as Y.Item | Y.GC;
    if (!(left instanceof Y.Item) || !(right instanceof Y.Item)) return true; // Yjs collects the item
    if (left === right) return rightClock > originClock;
    if (left.parent !== right.parent || left.parentSub !== right.parentSub) return false;
    for (let item = left.right; item !== null; item = item.right) {
      if (item === right) return true;
      if (--this.#budget < 0) return false; // too far apart for any editor's insert
    }
    return false;
  }

  addsNonItem(client: number): void {
    (this.#withNonItems ??= new Set()).add(client); // what an item names there is unknown (Yjs collects the item)
  }

  placesNextTo(item: NewItem): boolean {
    if (this.#placed !== undefined && this.#placed.length >= MAX_PLACED * STRIDE) return false;
    if (item.hasOrigin) {
      const next = this.#right(item.originClient, item.originClock);
      if (next === null) return true; // its origin is collected: so is the item
      if (next === undefined) return false;
      if (item.hasRightOrigin ? next.client !== item.rightClient || next.clock !== item.rightClock : next.client !== EDGE) return false;
    } else if (item.hasRightOrigin) {
      const previous = this.#left(item.rightClient, item.rightClock);
      if (previous === null) return true;
      if (previous === undefined || previous.client !== EDGE) return false;
    } else {
      const empty = this.#isEmpty(item);
      if (empty !== true) return empty === null;
    }
    (this.#placed ??= []).push(
      item.client,
      item.clock,
      item.end - 1,
      item.hasOrigin ? item.originClient : EDGE,
      item.originClock,
      item.hasRightOrigin ? item.rightClient : EDGE,
      item.rightClock,
    );
    return true;
  }

  /** The unit right of (`client`, `clock`) now (`EDGE` at a list's end). */
  #right(client: number, clock: number): Neighbour {
    const placed = this.#placed ?? NONE;
    // The latest item placed after the unit, or the unit's own item (whose right neighbour is then the one it named)
    for (let i = placed.length - STRIDE; i >= 0; i -= STRIDE) {
      if (placed[i + 3] === client && placed[i + 4] === clock) return this.#unit(placed[i]!, placed[i + 1]!);
      if (placed[i] === client && placed[i + 2] === clock) return this.#unit(placed[i + 5]!, placed[i + 6]!);
    }
    if (clock >= this.state(client)) return this.#isPlaced(client, clock) ? this.#unit(client, clock + 1) : undefined;
    const found = Y.getItem(this.doc.store, Y.createID(client, clock)) as Y.Item | Y.GC;
    if (!(found instanceof Y.Item)) return null;
    if (clock < found.id.clock + found.length - 1) return this.#unit(client, clock + 1);
    return found.right === null ? this.#unit(EDGE, 0) : this.#unit(found.right.id.client, found.right.id.clock);
  }

  /** The unit left of (`client`, `clock`) now, as `#right`. */
  #left(client: number, clock: number): Neighbour {
    const placed = this.#placed ?? NONE;
    for (let i = placed.length - STRIDE; i >= 0; i -= STRIDE) {
      if (placed[i + 5] === client && placed[i + 6] === clock) return this.#unit(placed[i]!, placed[i + 2]!);
      if (placed[i] === client && placed[i + 1] === clock) return this.#unit(placed[i + 3]!, placed[i + 4]!);
    }
    if (clock >= this.state(client)) return this.#isPlaced(client, clock) ? this.#unit(client, clock - 1) : undefined;
    const found = Y.getItem(this.doc.store, Y.createID(client, clock)) as Y.Item | Y.GC;
    if (!(found instanceof Y.Item)) return null;
    if (clock > found.id.clock) return this.#unit(client, clock - 1);
    const left = found.left;
    return left === null ? this.#unit(EDGE, 0) : this.#unit(left.id.client, left.id.clock + left.length - 1);
  }

  #unit(client: number, clock: number): { client: number; clock: number } {
    this.#found.client = client;
    this.#found.clock = clock;
    return this.#found;
  }

  /** Whether the unit is part of an item of the update placed so far (past the document's state). */
  #isPlaced(client: number, clock: number): boolean {
    if (this.#withNonItems?.has(client)) return false;
    const placed = this.#placed ?? NONE;
    for (let i = placed.length - STRIDE; i >= 0; i -= STRIDE) if (placed[i] === client) return clock <= placed[i + 2]!;
    return false;
  }

  /**
   * Whether the list (or map key) an item without origins names is empty, as far as the document and the update's
   * items placed so far go: `true` (then noted as filled), `false`, `undefined` unknown, `null` Yjs collects the item.
   */
  #isEmpty(item: NewItem): boolean | null | undefined {
    const parent = item.parentName ?? item.parentClient;
    const clock = item.parentName === null ? item.parentClock : -1;
    const filled = (this.#filled ??= []);
    for (let i = 0; i < filled.length; i += 3) {
      if (filled[i] === parent && filled[i + 1] === clock && filled[i + 2] === item.parentSub) return false;
    }
    let type: Y.AbstractType<any> | undefined;
    if (item.parentName !== null) type = this.doc.share.get(item.parentName);
    else if (item.parentClock < this.state(item.parentClient)) {
      const found = Y.getItem(this.doc.store, Y.createID(item.parentClient, item.parentClock)) as Y.Item | Y.GC;
      if (!(found instanceof Y.Item) || !(found.content instanceof Y.ContentType)) return null;
      type = found.content.type;
    } else if (!this.#isPlaced(item.parentClient, item.parentClock)) return undefined;
    // `undefined`: a type the update creates, or a root nobody used
    if (type !== undefined && (item.parentSub === null ? type._start !== null : type._map.has(item.parentSub))) return false;
    filled.push(parent, clock, item.parentSub);
    return true;
  }
}
