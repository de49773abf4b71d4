/**
 * Yjs's conflict rule (Item.integrate in yjs/src/structs/Item.js), read-only: where an item goes when other items
 * lie between the neighbours it names. Fed the pieces between them from left to right, it keeps the unit the item
 * goes after, as Yjs would decide it on the document as it stands (the update's earlier items included).
 *
 * Pieces are parts of items (split where the document or the update splits them): Yjs decides alike however items
 * are split, since replicas split them differently.
 */
import type { NewItem } from "../protocol/update-format.js";

/** A list's edge, or no reference, as a client (clients are unsigned). */
export const EDGE = -1;

/** Part of an item: units `first` to `last` of `client`, with the references of its first unit. */
export interface Piece {
  client: number;
  first: number;
  last: number;
  /** `EDGE` when it has none. */
  originClient: number;
  originClock: number;
  rightClient: number;
  rightClock: number;
}

/** Numbers per visited piece in `#visited`: its client, first and last unit. */
const STRIDE = 3;

export class ConflictRun {
  /** Whether the item goes first in its list; else after the unit (`leftClient`, `leftClock`). */
  goesFirst = false;
  leftClient = EDGE;
  leftClock = 0;
  /** Every piece visited (Yjs's `itemsBeforeOrigin`), `STRIDE` numbers each; those after `#cleared` are its `conflictingItems`. */
  readonly #visited: number[] = [];
  #count = 0;
  #cleared = -1;
  /** Whether Yjs has stopped looking (the pieces still fed are only counted). */
  #done = false;
  #item: NewItem | undefined;

  /**
   * Starts over for `item`. One run serves every check (they are synchronous and never nested): its array keeps its
   * size, so a check makes no object per piece.
   */
  start(item: NewItem): this {
    this.#item = item;
    this.goesFirst = !item.hasOrigin;
    this.leftClient = item.originClient;
    this.leftClock = item.originClock;
    this.#count = 0;
    this.#cleared = -1;
    this.#done = false;
    return this;
  }

  get length(): number {
    return this.#count;
  }

  /** The next piece right of the last one (the first: right of the item's origin). Its fields are read now, not kept. */
  visit(piece: Piece): void {
    const index = this.#count++;
    const at = index * STRIDE;
    const visited = this.#visited;
    visited[at] = piece.client;
    visited[at + 1] = piece.first;
    visited[at + 2] = piece.last;
    if (this.#done) return;
    const item = this.#item!;
    if (sameRef(item.hasOrigin ? item.originClient : EDGE, item.originClock, piece.originClient, piece.originClock)) {
      // Siblings: the lower client goes first; with the same right origin too, the item goes before this one
      if (piece.client < item.client) this.#goAfter(piece, index);
      else if (sameRef(item.hasRightOrigin ? item.rightClient : EDGE, item.rightClock, piece.rightClient, piece.rightClock)) this.#done = true;
    } else {
      const found = piece.originClient === EDGE ? -1 : this.#indexOf(piece.originClient, piece.originClock);
      if (found < 0)
        this.#done = true; // inserted after something left of the item's origin: the item goes before it
      else if (found <= this.#cleared) this.#goAfter(piece, index); // it follows an item the item goes after
    }
  }

  #goAfter(piece: Piece, index: number): void {
    this.goesFirst = false;
    this.leftClient = piece.client;
    this.leftClock = piece.last;
    this.#cleared = index;
  }

  #indexOf(client: number, clock: number): number {
    const visited = this.#visited;
    for (let i = this.#count - 1; i >= 0; i--) {
      const at = i * STRIDE;
      if (visited[at] === client && visited[at + 1]! <= clock && clock <= visited[at + 2]!) return i;
    }
    return -1;
  }
}

function sameRef(client: number, clock: number, otherClient: number, otherClock: number): boolean {
  return client === otherClient && (client === EDGE || clock === otherClock);
}
