/** Documents that nest shared types deeply: what `maxTypeDepth` (MAX_TYPE_DEPTH) refuses past its limit. */
import * as Y from "yjs";

/** A chain of `depth` Y.Maps under root map "root", each under key "c" of the one before. */
export function nestedMaps(depth: number): { doc: Y.Doc; leaf: Y.Map<unknown> } {
  const doc = new Y.Doc();
  let map = doc.getMap<unknown>("root");
  doc.transact(() => {
    for (let i = 0; i < depth; i++) {
      const next = new Y.Map<unknown>();
      map.set("c", next);
      map = next;
    }
  });
  return { doc, leaf: map };
}
