/**
 * What the update walk (src/protocol/update-format.ts) asks of a room's document right before an update is
 * applied: its state per client, and whether an item's right origin comes after its origin in the same list.
 * Yjs orders concurrent inserts the same way on every replica only for such items (as Yjs writes them); a forged
 * one is placed by whatever happens to be in the list, so a reload or a fresh client could order it otherwise.
 */
import * as Y from "yjs";
import type { DocumentView } from "../protocol/update-format.js";
import { MAX_ORDER_STEPS_PER_UPDATE } from "./defaults.js";

export class YDocumentView implements DocumentView {
  /** Steps left for this update's order checks (legit inserts take one: their origins were neighbours). */
  #budget = MAX_ORDER_STEPS_PER_UPDATE;

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
}
