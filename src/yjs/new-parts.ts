/**
 * What of an update the document has not: the measure the limits judge an update by once its raw count is over them.
 *
 * Yjs writes the WHOLE delete set into every sync step 2 (and a provider may send its own structs again from the
 * clock the server last acknowledged): a client of a document with many deletions sends, on every reconnect, more
 * deleted ranges than the room's limits allow, all of which the room has already. Judged by its raw count, that
 * step 2 would be refused on every reconnect: the client locked out for good. Applying what the document has costs
 * Yjs a lookup (ranges) or nothing (structs), and the update is applied in slices when big (slicing.ts), so only
 * what the document lacks counts toward a limit. Counted only for an update already over a limit: the common path
 * pays nothing.
 */
import * as decoding from "lib0/decoding";
import * as Y from "yjs";
import { readUpdateLayout, readUpdateShape, updateFormatError, type DocumentView } from "../protocol/update-format.js";

/**
 * Structs of `update` not wholly in `doc` plus its deleted ranges `doc` has not deleted. A range counts as known only
 * when it starts after the one before it of its client (as Yjs writes them, sorted and merged): the same range sent
 * again and again counts each time. `update` must be a whole update (validate.ts checked it).
 */
export function newParts(doc: Y.Doc, update: Uint8Array): number {
  const shape = readUpdateShape(update, stateOnly(doc));
  if (typeof shape === "string") return Number.POSITIVE_INFINITY;
  const deletes = knownDeletes(doc, update, shape.deletesStart);
  // `known` counts the structs that start in what the document has; an item also ending past it is `straddling` (a GC
  // or skip that does is counted known: at most one per client of the document).
  return shape.parts - (shape.known - shape.straddling) - deletes.known;
}

/**
 * About how many bytes `update` adds to the document's encoding: its structs past the document's state and its
 * deleted ranges the document lacks (what `Y.diffUpdate` keeps, less the ranges known). Its own size when it is not
 * a whole update (not checked yet: it is refused for what it is).
 */
export function newBytes(doc: Y.Doc, update: Uint8Array): number {
  if (updateFormatError(update) !== undefined) return update.byteLength;
  const diff = Y.diffUpdate(update, Y.encodeStateVector(doc));
  const layout = readUpdateLayout(diff);
  if (typeof layout === "string") return update.byteLength;
  return diff.byteLength - knownDeletes(doc, diff, layout.structsEnd).bytes;
}

/**
 * The most parts of any update `doc` can have (`newParts` counts them out): each struct or deleted range it has is
 * of a client of the document and starts at a clock of its own below the client's state. Counted from the document
 * alone: an update with more parts than the limit and this is refused without a walk that keeps records per client.
 */
export function mostKnown(doc: Y.Doc): number {
  let clocks = 0;
  for (const client of doc.store.clients.keys()) clocks += Y.getState(doc.store, client);
  return 2 * clocks;
}

/** The deleted ranges of the delete set at `from` that `doc` has deleted already: how many, and their bytes. */
function knownDeletes(doc: Y.Doc, update: Uint8Array, from: number): { known: number; bytes: number } {
  const decoder = decoding.createDecoder(update.subarray(from));
  let known = 0;
  let bytes = 0;
  const clients = decoding.readVarUint(decoder);
  for (let c = 0; c < clients; c++) {
    const client = decoding.readVarUint(decoder);
    const ranges = decoding.readVarUint(decoder);
    const structs = doc.store.clients.get(client);
    const state = Y.getState(doc.store, client);
    let after = 0;
    for (let r = 0; r < ranges; r++) {
      const start = decoder.pos;
      const clock = decoding.readVarUint(decoder);
      const end = clock + decoding.readVarUint(decoder);
      // Disjoint ranges read at most the client's structs once, whatever their number.
      if (structs !== undefined && clock >= after && end <= state && deletedIn(structs, clock, end)) {
        known++;
        bytes += decoder.pos - start;
      }
      after = Math.max(after, end);
    }
  }
  return { known, bytes };
}

/** Whether the structs of one client (no gaps up to its state, which `end` is within) are deleted from `clock` to `end`. */
function deletedIn(structs: Array<Y.Item | Y.GC>, clock: number, end: number): boolean {
  for (let i = Y.findIndexSS(structs, clock); i < structs.length; i++) {
    const struct = structs[i]!;
    if (!struct.deleted) return false;
    if (struct.id.clock + struct.length >= end) return true;
  }
  return false;
}

/**
 * A view of `doc` that tells the walk its state and nothing else: enough to count what the update has of the document,
 * with none of the order checks (validate.ts makes those before the update is applied).
 */
function stateOnly(doc: Y.Doc): DocumentView {
  return {
    state: (client) => Y.getState(doc.store, client),
    inOrder: () => true,
    placesNextTo: () => true,
    addsNonItem: () => {},
  };
}
