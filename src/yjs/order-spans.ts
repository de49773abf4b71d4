/**
 * Spans: where in a document an item lies that names neighbours its sender knew were apart, and what that means for
 * later items (document-view.ts asks). Yjs's UndoManager writes such items when it redoes into a type it restored
 * (yjs/yjs#794): it traces the deleted item's neighbours through their restored copies, and those may have drifted
 * apart. The room takes such an item when a reload of the document agrees (reload-order.ts), but its place was
 * decided by what happened to lie between its neighbours: an item inserted there later, concurrently with it (its
 * sender had not seen it), could be integrated before it by a reload and move it. So every later item that goes into
 * the same list is left to the copy check too, unless each such item is in its causal past (then every order of
 * arrival integrates them first, and it cannot move them).
 *
 * The room takes such an item only when the knowledge is its own client's: an earlier unit of its own client lies
 * between the neighbours it names (an editor always has its own earlier units, so Yjs never writes that otherwise;
 * the UndoManager's redos are of this kind). That makes the spans a property of the document alone: no table needs
 * storing beside it, and a reload (which forgets what the walk learnt) finds them again. Each list is looked at once
 * per document, when an item first goes into it (a pass over the list), and again after an update the copy check
 * took added to it. Root types never hold spans: a redo names a deleted item's own neighbours there, which are next
 * to each other, so the walk refuses such items in a root type (docs/protocol.md, "Order").
 */
import * as Y from "yjs";

/** Spans per list past which every item into the list goes to the copy check instead of one causal search each. */
const MAX_SPANS_PER_LIST = 16;
/** Steps a list's pass may take, per item in it and in all (past that, every item into it goes to the copy check). */
const STEPS_PER_ITEM = 32;
const MIN_STEPS = 10_000;

/**
 * A list's spans: per item that names neighbours its client knew were apart, its client and last clock (an item in a
 * later item's causal past is found by its last unit: Yjs merges an item with its neighbours of the same client).
 */
export type Spans = readonly number[];
/** A list whose spans are not known (too many, or its pass ran out of steps): every item into it goes to the copy. */
export const UNKNOWN_SPANS: Spans = Object.freeze([-1]);
const NONE: Spans = Object.freeze([]);

class SpanTable {
  /** Per nested type, per key (`null`: its list), the spans found by the last pass. */
  readonly #lists = new WeakMap<Y.AbstractType<any>, Map<string | null, Spans>>();
  /** An update left to the copy check is being applied: lists it adds to are looked at again after the transaction. */
  #copying = false;

  constructor(private readonly doc: Y.Doc) {
    doc.on("afterTransaction", (transaction: Y.Transaction) => this.#afterTransaction(transaction));
  }

  /** The spans of the nested type's list `key`; `UNKNOWN_SPANS` while an update the copy check took is applied. */
  spansIn(type: Y.AbstractType<any>, key: string | null): Spans {
    if (this.#copying) return UNKNOWN_SPANS; // what it added is not looked at yet (a burst's later update asks)
    let keys = this.#lists.get(type);
    if (keys === undefined) this.#lists.set(type, (keys = new Map()));
    let spans = keys.get(key);
    if (spans === undefined) keys.set(key, (spans = spansOfList(this.doc, type, key)));
    return spans;
  }

  copying(): void {
    this.#copying = true;
  }

  /** After a transaction that applied an update left to the copy check: the lists it added to are looked at anew. */
  #afterTransaction(transaction: Y.Transaction): void {
    if (!this.#copying) return;
    this.#copying = false;
    const { store } = this.doc;
    for (const [client, after] of transaction.afterState) {
      const before = transaction.beforeState.get(client) ?? 0;
      if (after <= before) continue;
      const structs = store.clients.get(client)!;
      for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
        const struct = structs[i]!;
        if (struct instanceof Y.Item && struct.parent instanceof Y.AbstractType) this.#lists.get(struct.parent)?.delete(struct.parentSub);
      }
    }
  }
}

const tables = new WeakMap<Y.Doc, SpanTable>();

function tableOf(doc: Y.Doc): SpanTable {
  let table = tables.get(doc);
  if (table === undefined) tables.set(doc, (table = new SpanTable(doc)));
  return table;
}

/** The spans of `doc`'s nested type `type`, list `key` (found from the document on first ask). */
export function spansIn(doc: Y.Doc, type: Y.AbstractType<any>, key: string | null): Spans {
  return tableOf(doc).spansIn(type, key);
}

/** Whether `type` is deleted or inside a deleted type: its content is shown to no one. */
export function insideDeletedType(type: Y.AbstractType<any>): boolean {
  for (let item = type._item; item !== null; item = (item.parent as Y.AbstractType<any>)._item) if (item.deleted) return true;
  return false;
}

/**
 * Tells `doc` that an update is left to the copy check: until the transaction that applies it ends, every nested list
 * counts as one whose spans are not known, and the lists it adds to are looked at again afterwards. Its copy check's
 * to call (reload-order.ts).
 */
export function noteCopyChecked(doc: Y.Doc): void {
  tables.get(doc)?.copying(); // a document whose lists were never looked at has nothing to forget
}

/**
 * One pass over a list: the items with an earlier unit of their own client between the neighbours they name (the item
 * itself left out). Per client, its items' positions in the list and first clocks, with running minimums from either
 * end, answer the common shapes (a neighbour at an edge of the list) without walking; others walk their client's items
 * between the neighbours, within a budget.
 */
function spansOfList(doc: Y.Doc, type: Y.AbstractType<any>, key: string | null): Spans {
  let first = key === null ? type._start : (type._map.get(key) ?? null);
  while (key !== null && first?.left) first = first.left;
  const items: Y.Item[] = [];
  const index = new Map<Y.Item, number>();
  for (let item = first; item !== null; item = item.right) {
    index.set(item, items.length);
    items.push(item);
  }
  if (items.length < 2) return NONE;
  const byClient = new Map<number, ClientItems>();
  for (const [at, item] of items.entries()) {
    let own = byClient.get(item.id.client);
    if (own === undefined) byClient.set(item.id.client, (own = { at: [], clocks: [], lowestBefore: [], lowestAfter: [] }));
    own.at.push(at);
    own.clocks.push(item.id.clock);
  }
  for (const own of byClient.values()) lowestFromEitherEnd(own);
  const budget = { left: Math.max(MIN_STEPS, STEPS_PER_ITEM * items.length) };
  const spans: number[] = [];
  for (const [at, item] of items.entries()) {
    const knew = ownUnitBetween(doc, item, at, items.length, index, byClient.get(item.id.client)!, budget);
    if (knew === undefined) return UNKNOWN_SPANS;
    if (!knew) continue;
    if (spans.length >= 2 * MAX_SPANS_PER_LIST) return UNKNOWN_SPANS;
    spans.push(item.id.client, item.id.clock + item.length - 1);
  }
  return spans.length === 0 ? NONE : spans;
}

/** One client's items in a list: positions, first clocks, and the lowest clock up to (`lowestBefore`) and from each. */
interface ClientItems {
  at: number[];
  clocks: number[];
  lowestBefore: number[];
  lowestAfter: number[];
}

function lowestFromEitherEnd(own: ClientItems): void {
  const { clocks, lowestBefore, lowestAfter } = own;
  let low = Number.POSITIVE_INFINITY;
  for (let i = 0; i < clocks.length; i++) lowestBefore[i] = low = Math.min(low, clocks[i]!);
  low = Number.POSITIVE_INFINITY;
  for (let i = clocks.length - 1; i >= 0; i--) lowestAfter[i] = low = Math.min(low, clocks[i]!);
}

/**
 * Whether an earlier unit of `item`'s client lies between the neighbours it names (`at`: its position among `count`);
 * also `true` for an item not between them (a neighbour not in the list, or the right one not after the left: Yjs
 * placed it by what lay there), `undefined` when the walk ran out of `budget`.
 */
function ownUnitBetween(
  doc: Y.Doc,
  item: Y.Item,
  at: number,
  count: number,
  index: Map<Y.Item, number>,
  own: ClientItems,
  budget: { left: number },
): boolean | undefined {
  const { client, clock } = item.id;
  // A neighbour's item also holds units between: those after the origin, those before the right origin
  let from = -1;
  if (item.origin !== null) {
    const left = neighbourAt(doc, item.origin, index);
    if (left === undefined) return true;
    from = index.get(left)!;
    if (left.id.client === client && item.origin.clock + 1 < left.id.clock + left.length && item.origin.clock + 1 < clock) return true;
  }
  let to = count;
  if (item.rightOrigin !== null) {
    const right = neighbourAt(doc, item.rightOrigin, index);
    if (right === undefined) return true;
    to = index.get(right)!;
    if (right.id.client === client && right.id.clock < item.rightOrigin.clock && right.id.clock < clock) return true;
  }
  if (from >= at || to <= at) return true;
  return lowestIn(own, from, at, clock, budget) || lowestIn(own, at, to, clock, budget);
}

/** The list's item holding unit `id`, or `undefined` (not in the list). */
function neighbourAt(doc: Y.Doc, id: Y.ID, index: Map<Y.Item, number>): Y.Item | undefined {
  if (id.clock >= Y.getState(doc.store, id.client)) return undefined;
  const found = Y.getItem(doc.store, id);
  return found instanceof Y.Item && index.has(found) ? found : undefined;
}

/**
 * Whether one of the client's items strictly between positions `from` and `to` starts before `clock`; `undefined`
 * past the budget. At an edge of the list the running minimums answer at once.
 */
function lowestIn(own: ClientItems, from: number, to: number, clock: number, budget: { left: number }): boolean | undefined {
  const { at, clocks } = own;
  let i = firstAfter(at, from);
  if (i >= at.length || at[i]! >= to) return false;
  if (to > at[at.length - 1]!) return own.lowestAfter[i]! < clock;
  if (from < 0) {
    const last = firstAfter(at, to - 1) - 1;
    return own.lowestBefore[last]! < clock;
  }
  for (; i < at.length && at[i]! < to; i++) {
    if (--budget.left < 0) return undefined;
    if (clocks[i]! < clock) return true;
  }
  return false;
}

/** The first index of `sorted` whose value is above `value`. */
function firstAfter(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}
