/**
 * Yjs parks structs whose dependencies it has not seen as "pending", and merges them into every encoding of the
 * document (`Y.encodeStateAsUpdate`: sync step 2 answers, HTTP reads, snapshots). A pending struct may carry the
 * ID of a struct the document already has, with other references (a forged or replayed ID): merged with the real
 * one, it can win, and every copy made from the encoding then parks that client's structs as pending too: a
 * fresh client or a reload lost the document. Pending structs the document already has are no-ops to Yjs (it skips
 * what it has when it retries them), so they are dropped.
 */
import * as Y from "yjs";
import { sameBytes } from "./frames.js";

/** The lowest clock per client of a pending update, kept while that update is the pending one. */
const lowestClocks = new WeakMap<Uint8Array, Map<number, number>>();

/**
 * Drops from `doc`'s pending structs every part the document already has. O(clients pending) after a transaction,
 * O(pending) only when the document caught up with some of it.
 */
export function settlePending(doc: Y.Doc): void {
  const pending = doc.store.pendingStructs;
  if (pending === null) return;
  let lowest = lowestClocks.get(pending.update);
  if (lowest === undefined) {
    lowest = Y.parseUpdateMetaV2(pending.update).from;
    lowestClocks.set(pending.update, lowest);
  }
  let overlaps = false;
  for (const [client, clock] of lowest) if (clock < Y.getState(doc.store, client)) overlaps = true;
  if (!overlaps) return;
  const rest = Y.diffUpdateV2(pending.update, Y.encodeStateVector(doc));
  if (Y.decodeUpdateV2(rest).structs.length === 0) doc.store.pendingStructs = null;
  else if (!sameBytes(rest, pending.update)) pending.update = rest;
}

interface HeldPending {
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
  const held = holdPending(doc);
  let error: Error | undefined;
  try {
    apply();
  } finally {
    error = retryPending(doc, held);
  }
  return error;
}

function holdPending(doc: Y.Doc): HeldPending | null {
  const pending = doc.store.pendingStructs;
  doc.store.pendingStructs = null;
  return pending;
}

/** Puts `held` back, retrying it first when what it waits for has arrived (Yjs's own rule). */
function retryPending(doc: Y.Doc, held: HeldPending | null): Error | undefined {
  if (held === null) return undefined;
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
  try {
    Y.applyUpdateV2(doc, held.update);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
