/**
 * Per document, per client: the clock right after its last unit that passed the concurrent-insert check naming no
 * right origin (document-view.ts), once the update that brought it is applied. With it the check proves, instead of
 * searching, the common insert of a typist who never saw the others' concurrent inserts: an item that names as its
 * origin its own client's previous unit P, and no right origin.
 *
 * Why no search is needed then. The item's causal past is P's past and P (its only references are P, as origin
 * and as its client's previous clock). Every item now between P and the list's end
 * - was between P's named neighbours when P was checked (nothing that was left of P then is right of it now), and
 *   P's past was found to hold none of those (or there were none), or P was itself proved so, by the same argument;
 * - or arrived after P: Yjs integrates an item only after everything it refers to, so nothing that arrived after P
 *   is in P's past.
 * So the item's sender knew none of them, which is what the search would find. Hence the conditions: P's check
 * passed in this document (placed by the walk, not left to the copy check), P named no right origin (what lies
 * right of a right origin was never looked at), and P was in the document, ending its client's clocks, once its
 * update was applied (not waiting, not refused half-way). An item matches a record only where it starts right after
 * P, at the client's state: any later unit of the client, checked or not, voids the record. The table belongs to
 * one Y.Doc: a reloaded room starts without records and searches.
 */
import * as Y from "yjs";
import type { NewItem } from "../protocol/update-format.js";

/** Per client, the clock after its last unit that passed naming no right origin. */
export type PassedTails = Map<number, number>;

const tables = new WeakMap<Y.Doc, PassedTails>();

/** The records of `doc` (empty until an update applied to it passes). */
export function passedTailsOf(doc: Y.Doc): PassedTails {
  let tails = tables.get(doc);
  if (tails === undefined) tables.set(doc, (tails = new Map()));
  return tails;
}

/** Whether `item` (new to the document) names as its origin the unit its client's record ends after, and no right origin. */
export function extendsPassedTail(tails: PassedTails, item: NewItem): boolean {
  // The record is at most the client's state, where a new item starts at the least: equal only for the first
  // item of the client the update adds, right at the state.
  return (
    !item.hasRightOrigin && item.hasOrigin && item.originClient === item.client && item.originClock === item.clock - 1 && tails.get(item.client) === item.clock
  );
}

/**
 * Records the items of an update that passed naming no right origin (`passed`: client, end pairs), once the update is
 * applied: only those that are still their client's last unit (the update's later units of the client did not pass
 * so, or waited).
 */
export function recordPassed(doc: Y.Doc, tails: PassedTails, passed: readonly number[]): void {
  for (let i = 0; i < passed.length; i += 2) {
    const client = passed[i]!;
    const end = passed[i + 1]!;
    if (Y.getState(doc.store, client) === end) tails.set(client, end);
  }
}
