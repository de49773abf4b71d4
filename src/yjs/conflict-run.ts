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

export class ConflictRun {
  /** The unit the item goes after (`null`: first in its list). */
  left: { client: number; clock: number } | null;
  /** Every piece visited (Yjs's `itemsBeforeOrigin`); those after index `#cleared` are its `conflictingItems`. */
  readonly #visited: Piece[] = [];
  #cleared = -1;
  /** Whether Yjs has stopped looking (the pieces still fed are only counted). */
  #done = false;

  constructor(private readonly item: NewItem) {
    this.left = item.hasOrigin ? { client: item.originClient, clock: item.originClock } : null;
  }

  get length(): number {
    return this.#visited.length;
  }

  /** The next piece right of the last one (the first: right of the item's origin). */
  visit(piece: Piece): void {
    const index = this.#visited.push(piece) - 1;
    if (this.#done) return;
    const { item } = this;
    if (sameRef(item.hasOrigin ? item.originClient : EDGE, item.originClock, piece.originClient, piece.originClock)) {
      // Siblings: the lower client goes first; with the same right origin too, the item goes before this one
      if (piece.client < item.client) this.#goAfter(piece, index);
      else if (sameRef(item.hasRightOrigin ? item.rightClient : EDGE, item.rightClock, piece.rightClient, piece.rightClock)) this.#done = true;
    } else {
      const at = piece.originClient === EDGE ? -1 : this.#indexOf(piece.originClient, piece.originClock);
      if (at < 0)
        this.#done = true; // inserted after something left of the item's origin: the item goes before it
      else if (at <= this.#cleared) this.#goAfter(piece, index); // it follows an item the item goes after
    }
  }

  #goAfter(piece: Piece, index: number): void {
    this.left = { client: piece.client, clock: piece.last };
    this.#cleared = index;
  }

  #indexOf(client: number, clock: number): number {
    const visited = this.#visited;
    for (let i = visited.length - 1; i >= 0; i--) {
      const piece = visited[i]!;
      if (piece.client === client && piece.first <= clock && clock <= piece.last) return i;
    }
    return -1;
  }
}

function sameRef(client: number, clock: number, otherClient: number, otherClock: number): boolean {
  return client === otherClient && (client === EDGE || clock === otherClock);
}
