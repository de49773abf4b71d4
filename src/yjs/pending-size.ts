/**
 * How many bytes a document holds pending (structs and deletions waiting for changes the room has not seen), with
 * those pending.ts holds aside while an update applies. Pending structs are cheap to send and costly to keep: Yjs
 * merges them into every encoding of the document (each fresh client's first sync, each compaction) and into each
 * other pending update, and every client that syncs holds them too. So what may wait is capped per document
 * (`MAX_PENDING_BYTES`), well below the document's own limit: an update that may add to it past the cap is refused.
 */
import type * as Y from "yjs";
import { MAX_PENDING_BYTES } from "./defaults.js";
import { YjsError } from "./errors.js";

/** Pending structs set aside by pending.ts while an update applies (the document's own field is empty then). */
const heldAside = new WeakMap<Y.Doc, Uint8Array>();

export function holdAside(doc: Y.Doc, update: Uint8Array | undefined): void {
  if (update === undefined) heldAside.delete(doc);
  else heldAside.set(doc, update);
}

/** The bytes of `doc`'s pending structs and deletions (as Yjs keeps them: v2 updates). */
export function pendingBytes(doc: Y.Doc): number {
  const { pendingStructs, pendingDs } = doc.store;
  return (heldAside.get(doc)?.byteLength ?? 0) + (pendingStructs?.update.byteLength ?? 0) + (pendingDs?.byteLength ?? 0);
}

/** Throws `ERR_PENDING_TOO_LARGE` when `update`, if all of it waited, would take `doc`'s pending part past the cap. */
export function admitPending(doc: Y.Doc, update: Uint8Array, max = MAX_PENDING_BYTES): void {
  const bytes = pendingBytes(doc);
  if (bytes + update.byteLength <= max) return;
  throw new YjsError(
    "ERR_PENDING_TOO_LARGE",
    `the room holds ${bytes} bytes of changes waiting for others it has not seen, and this one may wait too (limit ${max}): send what they build on first`,
  );
}
