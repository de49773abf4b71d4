/**
 * The oracle of the order tests: a document and a reload of its encoding (what a fresh client, a compaction or a
 * restart integrates, in another order than the live room did) must hold every list in the same order, unit by unit
 * (items are split differently, so units are compared: one character or value each, by ID).
 */
import * as Y from "yjs";

/** Where a reload of `doc` orders a list otherwise (type and the first unit that differs), or `undefined`. */
export function reloadDiffers(doc: Y.Doc): string | undefined {
  const reloaded = new Y.Doc({ gc: doc.gc });
  Y.applyUpdate(reloaded, Y.encodeStateAsUpdate(doc));
  try {
    const live = listsOf(doc);
    const again = listsOf(reloaded);
    for (const [where, units] of live) {
      const other = again.get(where) ?? [];
      const at = units.findIndex((unit, i) => unit !== other[i]);
      if (at >= 0 || units.length !== other.length)
        return `${where}: ${units.slice(Math.max(0, at - 2), at + 3)} live, ${other.slice(Math.max(0, at - 2), at + 3)} reloaded`;
    }
    for (const where of again.keys()) if (!live.has(where)) return `${where}: only in the reload`;
    return undefined;
  } finally {
    reloaded.destroy();
  }
}

/** Every list of `doc` (root types, their entries, nested types), as its units' IDs in order (deleted ones too). */
function listsOf(doc: Y.Doc): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  const visit = (type: Y.AbstractType<any>, where: string): void => {
    const units: string[] = [];
    for (let item = type._start; item !== null; item = item.right) unitsOf(item, units, where, visit);
    if (units.length > 0) lists.set(where, units);
    for (const [key, last] of type._map) {
      const entry: string[] = [];
      let first: Y.Item | null = last;
      while (first.left !== null) first = first.left;
      for (let item: Y.Item | null = first; item !== null; item = item.right) unitsOf(item, entry, `${where}.${key}`, visit);
      lists.set(`${where}.${key}`, entry);
    }
  };
  for (const [name, type] of doc.share) visit(type, name);
  return lists;
}

function unitsOf(item: Y.Item, units: string[], where: string, visit: (type: Y.AbstractType<any>, where: string) => void): void {
  for (let i = 0; i < item.length; i++) units.push(`${item.id.client}:${item.id.clock + i}`);
  if (item.content instanceof Y.ContentType) visit(item.content.type, `${where}/${item.id.client}:${item.id.clock}`);
}
