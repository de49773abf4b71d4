/**
 * The last resort of the order checks (document-view.ts): an update with items the walk cannot place between
 * their named neighbours (concurrent inserts, references into the update that it cannot follow, what is missing)
 * is applied to a copy of the document first, and that copy must order every list as a reload of its encoding
 * does (`Y.encodeStateAsUpdate`: what fresh clients, compactions and reloads integrate, in another order than the
 * live room did). Costs a few applies of the whole document: editors' updates rarely get here (their items go
 * between neighbours), a client merging long offline work or seeding a room does.
 */
import * as Y from "yjs";

/** Per document: the largest encoding it still checks (`documentLimits.reloadOrderCheckBytes`); absent or 0: off. */
const checkedUpTo = new WeakMap<Y.Doc, number>();

/** Turns the check on for `doc` while its encoding is at most `bytes` (0 turns it off). Its session's to set. */
export function checkReloadOrder(doc: Y.Doc, bytes: number): void {
  if (bytes > 0) checkedUpTo.set(doc, bytes);
  else checkedUpTo.delete(doc);
}

/** Why `doc` with `update` applied would differ from a reload of its encoding, or `undefined` (also when not checked). */
export function reloadOrderError(doc: Y.Doc, update: Uint8Array): string | undefined {
  const upTo = checkedUpTo.get(doc);
  if (upTo === undefined) return undefined;
  const current = Y.encodeStateAsUpdate(doc);
  if (current.byteLength > upTo) return undefined;
  const live = new Y.Doc({ gc: doc.gc });
  const reloaded = new Y.Doc({ gc: doc.gc });
  try {
    Y.applyUpdate(live, current);
    Y.applyUpdate(live, update);
    Y.applyUpdate(reloaded, Y.encodeStateAsUpdate(live));
    const moved = firstMoved(live, reloaded) ?? firstMoved(reloaded, live);
    return moved === undefined ? undefined : `an item a reload of the document would place elsewhere (${moved})`;
  } finally {
    live.destroy();
    reloaded.destroy();
  }
}

/** The first item of `a` whose left neighbour in `b` is another (items split alike keep theirs), or `undefined`. */
function firstMoved(a: Y.Doc, b: Y.Doc): string | undefined {
  for (const [client, structs] of a.store.clients) {
    for (const struct of structs) {
      if (!(struct instanceof Y.Item)) continue;
      const { clock } = struct.id;
      const there = leftNeighbour(b, client, clock);
      if (there !== undefined && there !== leftNeighbour(a, client, clock)) return `${client}:${clock}`;
    }
  }
  return undefined;
}

/** The unit left of (`client`, `clock`) in `doc` (`null` first in its list), `undefined` when it is collected. */
function leftNeighbour(doc: Y.Doc, client: number, clock: number): string | null | undefined {
  const found = Y.getItem(doc.store, Y.createID(client, clock)) as Y.Item | Y.GC;
  if (!(found instanceof Y.Item)) return undefined;
  if (found.id.clock < clock) return `${client}:${clock - 1}`;
  const left = found.left;
  return left === null ? null : `${left.id.client}:${left.id.clock + left.length - 1}`;
}
