/**
 * The last resort of the order checks (document-view.ts): an update with items the walk cannot follow (references
 * to later parts of the update it cannot place, one of its items past a budget, a struct whose references are gone)
 * is applied to a copy of the document first, and that copy must order every list as a reload of its encoding
 * does (`Y.encodeStateAsUpdate`: what fresh clients, compactions and reloads integrate, in another order than the
 * live room did), and every item the update adds must pass the walk's knowledge rule there (copy-knowledge.ts). Costs a few applies of the whole document, so only documents up to a size get it
 * (`documentLimits.reloadOrderCheckBytes`). A larger one takes such updates unchecked and says so in its log:
 * editors' updates never get here (their items go between their neighbours, or among items inserted concurrently),
 * but honest ones may (a client merging long offline work, or bringing back others' edits after a restore), and
 * refusing those would lose them: the client would send the same refused update on every reconnect.
 */
import * as Y from "yjs";
import { arrivalsOf } from "./arrivals.js";
import { copyKnowledgeError } from "./copy-knowledge.js";
import { YJS_LIMITS } from "./defaults.js";
import { noteCopyChecked } from "./order-spans.js";

interface CopyCheck {
  /** The largest encoding checked on a copy (0: none). */
  upTo: number;
  /** The document's encoded size as its owner estimates it, if it does (else it is encoded to learn it). */
  size: (() => number) | undefined;
  /** Told of each update taken unchecked because the document is over `upTo`. */
  unchecked: ((why: string) => void) | undefined;
}

const checks = new WeakMap<Y.Doc, CopyCheck>();

/**
 * Sets, for `doc`, the largest encoding (`bytes`) whose updates the walk cannot follow are checked on a copy (larger:
 * taken unchecked, and `unchecked` told why; 0: never copied), and starts noting when its changes arrive
 * (arrivals.ts: call it before it loads). `size` gives the owner's estimate of the encoded size, sparing an
 * encoding. Its session's to call.
 */
export function checkReloadOrder(doc: Y.Doc, bytes: number, size?: () => number, unchecked?: (why: string) => void): void {
  checks.set(doc, { upTo: bytes, size, unchecked });
  arrivalsOf(doc);
}

/** Why `doc` with `update` applied would differ from a reload of its encoding, or `undefined` (also when unchecked). */
export function reloadOrderError(doc: Y.Doc, update: Uint8Array): string | undefined {
  // Taken or not, what it adds may name neighbours its sender knew were apart: its lists are looked at again
  noteCopyChecked(doc);
  const { upTo, size, unchecked } = checks.get(doc) ?? { upTo: YJS_LIMITS.reloadOrderCheckBytes, size: undefined, unchecked: undefined };
  const tooLarge = (): undefined => {
    unchecked?.(
      `an update whose order the room can check only on a copy, taken unchecked: the document is over the ${upTo} bytes it copies (documentLimits.reloadOrderCheckBytes)`,
    );
    return undefined;
  };
  if (upTo === 0 || (size !== undefined && size() > upTo)) return tooLarge();
  const current = Y.encodeStateAsUpdate(doc);
  if (current.byteLength > upTo) return tooLarge();
  const live = new Y.Doc({ gc: doc.gc });
  const reloaded = new Y.Doc({ gc: doc.gc });
  try {
    Y.applyUpdate(live, current);
    Y.applyUpdate(live, update);
    const forged = copyKnowledgeError(doc, live, update);
    if (forged !== undefined) return forged;
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
