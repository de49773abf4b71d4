/**
 * The knowledge test (document-view.ts) for what the walk leaves to the copy check. Past the first item of an update
 * it cannot place, the walk follows nothing more of the update, so a forged item behind one (an update whose client
 * lists are out of Yjs's order, say) reached the copy check untested; the copy check alone takes it when a reload
 * agrees, and a later insert concurrent with it could then make the room differ from its reload (the forged pair of
 * docs/reliability.md). On the copy, with the update applied, every item it adds is in place: the units between the
 * neighbours each names are there to read, and the causal search (causal-past.ts) tells whether its sender had seen
 * one of them, with the room's arrivals (what the update adds counts as arriving now). Such an item is held to the
 * walk's rule: taken only in a nested type, with an earlier unit of its own client between its neighbours (then
 * found again as a span, order-spans.ts) or inside a deleted type.
 */
import * as Y from "yjs";
import { arrivalsOf } from "./arrivals.js";
import { pastHolds, type UpdateItems } from "./causal-past.js";
import { insideDeletedType } from "./order-spans.js";

/** Steps one update's walks between neighbours may take, and structs its causal searches may read. */
const MAX_STEPS = 200_000;

/** The copy holds the update applied: the search reads the update's items there, never through the walk. */
const IN_THE_COPY: UpdateItems = { refsOf: () => -1 };

/**
 * Why an item `update` adds to `copy` (`doc` with `update` applied) names neighbours its sender knew were apart, in
 * a place the walk refuses that, or `undefined`. An item whose test runs past the budget is not refused.
 */
export function copyKnowledgeError(doc: Y.Doc, copy: Y.Doc, update: Uint8Array): string | undefined {
  const arrivals = arrivalsOf(doc);
  const budget = { left: MAX_STEPS };
  const refs: number[] = [];
  for (const struct of Y.decodeUpdate(update).structs) {
    if (!(struct instanceof Y.Item) || struct.id.clock < Y.getState(doc.store, struct.id.client)) continue; // known: not added
    if (struct.id.clock + struct.length > Y.getState(copy.store, struct.id.client)) continue; // it waits: checked when retried
    const placed = Y.getItem(copy.store, struct.id);
    if (!(placed instanceof Y.Item) || !(placed.parent instanceof Y.AbstractType)) continue; // collected: goes nowhere
    const between = unitsBetween(copy, struct, budget);
    if (between === undefined || between.size === 0) continue;
    let since = Number.POSITIVE_INFINITY;
    for (const [client, clock] of between) since = Math.min(since, arrivals.of(client, clock));
    refs.length = 0;
    if (struct.origin !== null) refs.push(struct.origin.client, struct.origin.clock);
    if (struct.rightOrigin !== null) refs.push(struct.rightOrigin.client, struct.rightOrigin.clock);
    if (struct.id.clock > 0) refs.push(struct.id.client, struct.id.clock - 1);
    const parent: Y.AbstractType<any> = placed.parent;
    if (struct.origin === null && struct.rightOrigin === null && parent._item !== null) refs.push(parent._item.id.client, parent._item.id.clock);
    if (pastHolds(copy, arrivals, IN_THE_COPY, refs, between, since, budget) !== true) continue;
    const ownUnit = (between.get(struct.id.client) ?? Number.POSITIVE_INFINITY) < struct.id.clock;
    if (parent._item !== null && (ownUnit || insideDeletedType(parent))) continue;
    return `an item that names neighbours its sender knew were apart (items it had seen lie between them): ${struct.id.client}:${struct.id.clock}`;
  }
  return undefined;
}

/**
 * The units between the neighbours `item` names, in `copy` (per client, the lowest clock); `undefined` when a
 * neighbour is not met on the way (not in its list, or not on its side: the reload comparison judges such an item) or
 * past the budget.
 */
function unitsBetween(copy: Y.Doc, item: Y.Item, budget: { left: number }): Map<number, number> | undefined {
  const between = new Map<number, number>();
  const note = (client: number, clock: number): void => {
    if (!((between.get(client) ?? Number.POSITIVE_INFINITY) <= clock)) between.set(client, clock);
  };
  const { client, clock } = item.id;
  // Leftwards from the unit before the item's first, down to its origin (the list's start when it has none)
  let left: Y.Item | null = Y.getItem(copy.store, item.id) as Y.Item;
  let high = clock - 1;
  for (;;) {
    if (left !== null && high < left.id.clock) {
      left = left.left;
      high = left === null ? -1 : left.id.clock + left.length - 1;
    }
    if (left === null) {
      if (item.origin !== null) return undefined;
      break;
    }
    if (--budget.left < 0) return undefined;
    const { origin } = item;
    if (origin !== null && origin.client === left.id.client && left.id.clock <= origin.clock && origin.clock <= high) {
      if (origin.clock < high) note(origin.client, origin.clock + 1);
      break;
    }
    note(left.id.client, left.id.clock);
    high = left.id.clock - 1;
  }
  // Rightwards from the unit after its last, up to its right origin (the list's end when it has none)
  const lastClock = clock + item.length - 1;
  let right: Y.Item | null = Y.getItem(copy.store, Y.createID(client, lastClock)) as Y.Item;
  let low = lastClock + 1;
  for (;;) {
    if (right !== null && low > right.id.clock + right.length - 1) {
      right = right.right;
      low = right === null ? 0 : right.id.clock;
    }
    if (right === null) {
      if (item.rightOrigin !== null) return undefined;
      break;
    }
    if (--budget.left < 0) return undefined;
    const { rightOrigin } = item;
    if (rightOrigin !== null && rightOrigin.client === right.id.client && low <= rightOrigin.clock && rightOrigin.clock < right.id.clock + right.length) {
      if (rightOrigin.clock > low) note(right.id.client, low);
      break;
    }
    note(right.id.client, low);
    low = right.id.clock + right.length;
  }
  return between;
}
