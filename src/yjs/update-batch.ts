/**
 * Updates from one connection that arrive in the same turn of the event loop (one socket read often holds
 * many frames) are applied together in ONE Yjs transaction: observers, cleanup, the room's `update` event,
 * its encoding, the broadcast frame and the store append then cost once per burst instead of once per
 * frame. The burst is applied in a microtask, i.e. right after the socket read that delivered it; callers
 * `flush()` before anything that must see every update received so far (a sync step 1 answer, another
 * connection's frame, an attach, an HTTP read or write, a detach, a stop).
 */
import * as Y from "yjs";
import { YjsError } from "./errors.js";
import { withPendingAside } from "./pending.js";
import { validatePartsAgainst } from "./validate.js";
import type { Peer } from "./peer.js";

export interface UpdateBatchHooks {
  /** The burst's updates are applied; `count` is the peer's document-message count of the last one. */
  applied(peer: Peer, count: number): void;
  /**
   * Yjs (or an observer of the document, as before batching) threw on an update; `count` is the peer's
   * document-message count of the last update before it.
   */
  failed(peer: Peer, error: YjsError, count: number): void;
  /** Pending structs (accepted earlier) threw when retried; what they had integrated stays, the rest is dropped. */
  pendingDropped(error: Error): void;
}

/** Scheduling through a settled promise costs less than `queueMicrotask` (an AsyncResource per call). */
const SETTLED = Promise.resolve();

export class UpdateBatch {
  #peer: Peer | null = null;
  #updates: Uint8Array[] = [];
  #count = 0;
  #scheduled = false;
  /**
   * While a burst is applied: its transaction and connection, when that transaction can only hold what the
   * connection sent: no structs or deletions were pending before it (which the burst could have let in), and no
   * `beforeTransaction` listener wrote into it. Changes that observers make in reaction run in transactions of
   * their own, whatever origin they pass.
   */
  #own: { transaction: Y.Transaction; peer: Peer } | null = null;
  /** One function for every microtask: no closure per frame. */
  readonly #flushTask = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  constructor(
    private readonly doc: Y.Doc,
    private readonly hooks: UpdateBatchHooks,
  ) {}

  /**
   * The connection `transaction` holds nothing but changes from, if any: it has all of that transaction's update
   * already, so the update is not echoed back to it (one frame fewer per change).
   */
  soleAuthorOf(transaction: Y.Transaction): Peer | null {
    return this.#own?.transaction === transaction ? this.#own.peer : null;
  }

  /** Queues a validated update of `peer` (its `count`-th document message). */
  add(peer: Peer, update: Uint8Array, count: number): void {
    if (this.#peer !== peer) this.flush(); // bursts never mix connections: each keeps its own origin
    this.#peer = peer;
    this.#updates.push(update);
    this.#count = count;
    if (!this.#scheduled) {
      this.#scheduled = true;
      void SETTLED.then(this.#flushTask);
    }
  }

  /** Applies what is queued now (at once; a no-op when nothing is). */
  flush(): void {
    const peer = this.#peer;
    if (peer === null) return;
    const updates = this.#updates;
    const count = this.#count;
    this.#peer = null;
    this.#updates = [];
    let failedAt = -1;
    let failure: unknown;
    const { pendingStructs, pendingDs } = this.doc.store;
    const nothingPending = pendingStructs === null && pendingDs === null;
    let pendingError: Error | undefined;
    try {
      this.doc.transact((transaction) => {
        if (nothingPending && isUntouched(transaction)) this.#own = { transaction, peer };
        pendingError = withPendingAside(this.doc, () => {
          for (let index = 0; index < updates.length; index++) {
            try {
              validatePartsAgainst(this.doc, updates[index]!);
              Y.applyUpdate(this.doc, updates[index]!, peer);
            } catch (error) {
              [failedAt, failure] = [index, error];
              return;
            }
          }
        });
      }, peer);
    } catch (error) {
      // An observer threw at the end of the transaction: everything was applied, the last one counts as failed.
      if (failedAt === -1) [failedAt, failure] = [updates.length - 1, error];
    } finally {
      this.#own = null;
    }
    if (pendingError) this.hooks.pendingDropped(pendingError);
    if (failedAt === -1) return this.hooks.applied(peer, count);
    const cause =
      failure instanceof YjsError ? failure : new YjsError("ERR_INVALID_UPDATE", `Yjs refused the update: ${(failure as Error)?.message}`, { cause: failure });
    this.hooks.failed(peer, cause, count - (updates.length - failedAt));
  }
}

/**
 * Nothing was written into `transaction` yet, under any client id (a `beforeTransaction` listener may apply another
 * replica's update): the whole state vector is still the one the transaction started from. O(clients), as Yjs' own
 * `beforeState`.
 */
function isUntouched(transaction: Y.Transaction): boolean {
  if (transaction.deleteSet.clients.size > 0) return false;
  const { store } = transaction.doc;
  if (store.clients.size !== transaction.beforeState.size) return false;
  for (const client of store.clients.keys()) {
    if (Y.getState(store, client) !== transaction.beforeState.get(client)) return false;
  }
  return true;
}
