/**
 * Yjs parks structs whose dependencies it has not seen as "pending", and merges them into every encoding of the
 * document (`Y.encodeStateAsUpdate`: sync step 2 answers, HTTP reads, snapshots). A pending struct may carry the
 * ID of a struct the document already has, with other references (a forged or replayed ID): merged with the real
 * one, it can win, and every copy made from the encoding then parks that client's structs as pending too: a
 * fresh client or a reload lost the document. Pending structs the document already has are no-ops to Yjs (it skips
 * what it has when it retries them), so they are dropped, and what they held back is retried.
 */
import * as Y from "yjs";
import { sameBytes } from "./frames.js";
import { holdAside } from "./pending-size.js";
import { validateRetriedParts } from "./validate.js";

/** The lowest clock per client of a pending update, kept while that update is the pending one. */
const lowestClocks = new WeakMap<Uint8Array, Map<number, number>>();

/** Whether the document has some of `pending` already. O(clients pending) once its lowest clocks are known. */
function overlaps(doc: Y.Doc, pending: Uint8Array): boolean {
  let lowest = lowestClocks.get(pending);
  if (lowest === undefined) {
    lowest = Y.parseUpdateMetaV2(pending).from;
    lowestClocks.set(pending, lowest);
  }
  for (const [client, clock] of lowest) if (clock < Y.getState(doc.store, client)) return true;
  return false;
}

/** Drops from `doc`'s pending structs every part the document already has (after any transaction). */
export function settlePending(doc: Y.Doc): void {
  const pending = doc.store.pendingStructs;
  if (pending === null || !overlaps(doc, pending.update)) return;
  const rest = Y.diffUpdateV2(pending.update, Y.encodeStateVector(doc));
  if (Y.decodeUpdateV2(rest).structs.length === 0) doc.store.pendingStructs = null;
  else if (!sameBytes(rest, pending.update)) pending.update = rest;
}

export interface HeldPending {
  update: Uint8Array;
  missing: Map<number, number>;
}

/**
 * Runs `apply` (updates applied to `doc`, in a transaction of the caller's) with the pending structs held aside,
 * then retries them on their own. Yjs retries them inside the apply of any update that supplies what they wait
 * for, so one that throws when retried would make that update (however well-formed) fail half-way and be
 * refused. Returns the retry's error: what the retry had integrated stays, like any accepted change.
 */
export function withPendingAside(doc: Y.Doc, apply: () => void): Error | undefined {
  const held = setPendingAside(doc);
  let error: Error | undefined;
  try {
    apply();
  } finally {
    error = putPendingBack(doc, held);
  }
  return error;
}

/** The first half of `withPendingAside`, for a hot caller that applies without a closure: takes the pending structs out. */
export function setPendingAside(doc: Y.Doc): HeldPending | null {
  const pending = doc.store.pendingStructs;
  if (pending === null) return null; // the usual case: nothing to hold
  doc.store.pendingStructs = null;
  holdAside(doc, pending.update);
  return pending;
}

/** The second half: retries `held` (from `setPendingAside`) and what the document now has of the pending structs. */
export function putPendingBack(doc: Y.Doc, held: HeldPending | null): Error | undefined {
  return retryPending(doc, held) ?? retryWithoutKnown(doc);
}

/** Puts `held` back, retrying it first when what it waits for has arrived (Yjs's own rule). */
function retryPending(doc: Y.Doc, held: HeldPending | null): Error | undefined {
  if (held === null) return undefined;
  holdAside(doc, undefined);
  const ready = [...held.missing].some(([client, clock]) => clock < Y.getState(doc.store, client));
  if (!ready) {
    const arrived = doc.store.pendingStructs;
    if (arrived === null) doc.store.pendingStructs = held;
    else {
      for (const [client, clock] of arrived.missing) if (!(held.missing.get(client)! <= clock)) held.missing.set(client, clock);
      held.update = Y.mergeUpdatesV2([held.update, arrived.update]);
      doc.store.pendingStructs = held;
    }
    return undefined;
  }
  // With what the update left waiting (Yjs would retry it unchecked inside this apply), and without what the
  // document has: a part it has is never applied again, in whatever place it claims.
  const arrived = doc.store.pendingStructs;
  doc.store.pendingStructs = null;
  const update = arrived === null ? held.update : Y.mergeUpdatesV2([held.update, arrived.update]);
  return applyPending(doc, Y.diffUpdateV2(update, Y.encodeStateVector(doc)));
}

/** Rounds of `retryWithoutKnown`: each drops at least one struct, so this only bounds a pathological pile. */
const MAX_SETTLE_ROUNDS = 8;

/**
 * Drops the pending parts the document now has and retries the rest. Yjs parks a struct it already has when one
 * of its references is missing (it looks at references before at clocks), and with it every later struct of its
 * client: dropped, those later ones may wait for nothing any more.
 */
function retryWithoutKnown(doc: Y.Doc): Error | undefined {
  for (let round = 0; round < MAX_SETTLE_ROUNDS; round++) {
    const pending = doc.store.pendingStructs;
    if (pending === null || !overlaps(doc, pending.update)) return undefined;
    doc.store.pendingStructs = null;
    const error = applyPending(doc, Y.diffUpdateV2(pending.update, Y.encodeStateVector(doc)));
    if (error) return error;
  }
  return undefined;
}

/** Applies pending structs, after the checks an update gets right before it is applied (refused: dropped). */
function applyPending(doc: Y.Doc, update: Uint8Array): Error | undefined {
  try {
    const v1 = Y.convertUpdateFormatV2ToV1(update);
    validateRetriedParts(doc, v1);
    Y.applyUpdate(doc, v1);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
