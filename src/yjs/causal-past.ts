/**
 * Whether the sender of an item knew any of some items of the document: the test that tells an item inserted
 * concurrently with others (its sender had not seen them) from a forged one (it names neighbours its sender knew
 * were apart). What a sender knew at the least is the item's causal past: what it refers to (origin, right origin,
 * parent, the previous clock of its client), and what those refer to, and so on; Yjs's encoding keeps exactly these
 * references, so the past is known exactly. A client's past is a prefix of its clocks, so the search keeps one
 * clock per client.
 *
 * It searches back only through structs that arrived after the earliest of the items looked for (arrivals.ts):
 * nothing that arrived before an item can refer to it. An editor's concurrent insert meets items that arrived a
 * round trip ago, and the search visits what arrived since; an item merged after a long time offline visits more,
 * within `budget`.
 */
import * as Y from "yjs";
import type { Arrivals } from "./arrivals.js";

/** An absent reference, as a client (clients are unsigned). */
const NONE = -1;

/** The items an update adds that the document does not have yet: their references, for the search to follow. */
export interface UpdateItems {
  /**
   * Writes into `refs` the references (client, clock pairs; `NONE` for absent) of the update's item holding unit
   * (`client`, `clock`), and returns where that item ends; -1 when the update adds no such item the walk placed.
   */
  refsOf(client: number, clock: number, refs: number[]): number;
}

/**
 * Whether the causal past of `refs` (client, clock pairs, `NONE` for absent) holds a unit of `targets` (per client,
 * the lowest clock of the items looked for), all of which arrived at `since` or later: `true`, `false`, or
 * `undefined` when the search used up `budget` (structs read, taken from `budget.left`) or met a struct whose
 * references are gone (a GC).
 */
export function pastHolds(
  doc: Y.Doc,
  arrivals: Arrivals,
  update: UpdateItems,
  refs: readonly number[],
  targets: ReadonlyMap<number, number>,
  since: number,
  budget: { left: number },
): boolean | undefined {
  // Fresh maps: V8's Map#clear costs more than a new small map.
  reached = new Map();
  searched = new Map();
  queue.length = 0;
  lookedFor = targets;
  return search(doc, arrivals, update, refs, since, budget);
}

// The search's state, in module state: it is synchronous and never re-entered, and runs for every item inserted
// concurrently with others (no closures made per search).
/** Per client: clocks below it are in the past found so far, and those below `searched` had their references read. */
let reached = new Map<number, number>();
let searched = new Map<number, number>();
/** Clients whose past grew, to search. */
const queue: number[] = [];
const scratch: number[] = [];
/** Per client, the lowest clock of the items looked for. */
let lookedFor: ReadonlyMap<number, number> = new Map();

function search(doc: Y.Doc, arrivals: Arrivals, update: UpdateItems, refs: readonly number[], since: number, budget: { left: number }): boolean | undefined {
  if (reachAll(refs)) return true;
  const { store } = doc;
  while (queue.length > 0) {
    const client = queue.pop()!;
    const end = reached.get(client)!;
    let clock = Math.max(searched.get(client) ?? 0, arrivals.firstSince(client, since));
    if (clock >= end) continue;
    searched.set(client, end);
    const state = Y.getState(store, client);
    if (clock < state) {
      const structs = store.clients.get(client)!;
      for (let i = Y.findIndexSS(structs, clock); i < structs.length && structs[i]!.id.clock < end; i++) {
        const struct = structs[i]!;
        if (--budget.left < 0 || !(struct instanceof Y.Item)) return undefined;
        if (reachAll(itemRefs(struct, scratch))) return true;
      }
      clock = state;
    }
    while (clock < end) {
      const next = update.refsOf(client, clock, scratch);
      if (next < 0 || --budget.left < 0) return undefined;
      if (reachAll(scratch)) return true;
      clock = next;
    }
  }
  return false;
}

/** Adds the unit to the past found; `true` when it is one of the items looked for. */
function reach(client: number, clock: number): boolean {
  if (client === NONE || clock < (reached.get(client) ?? 0)) return false;
  reached.set(client, clock + 1);
  const lowest = lookedFor.get(client);
  if (lowest !== undefined && clock >= lowest) return true;
  queue.push(client);
  return false;
}

function reachAll(pairs: readonly number[]): boolean {
  for (let i = 0; i < pairs.length; i += 2) if (reach(pairs[i]!, pairs[i + 1]!)) return true;
  return false;
}

/** The references of a document's item, into `refs`: origin, right origin, and its parent item when it has neither. */
function itemRefs(item: Y.Item, refs: number[]): number[] {
  refs.length = 0;
  const { origin, rightOrigin } = item;
  if (origin !== null) refs.push(origin.client, origin.clock);
  if (rightOrigin !== null) refs.push(rightOrigin.client, rightOrigin.clock);
  if (origin === null && rightOrigin === null) {
    const parent = (item.parent as Y.AbstractType<unknown> | null)?._item;
    if (parent) refs.push(parent.id.client, parent.id.clock);
  }
  return refs;
}
