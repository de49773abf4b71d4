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
import type { Peer } from "./peer.js";

export interface UpdateBatchHooks {
  /** The burst's updates are applied; `count` is the peer's document-message count of the last one. */
  applied(peer: Peer, count: number): void;
  /** Yjs threw on an update; the ones before it (`count` of them in the peer's numbering) were applied. */
  failed(peer: Peer, error: YjsError, count: number): void;
}

export class UpdateBatch {
  #peer: Peer | null = null;
  #updates: Uint8Array[] = [];
  #count = 0;
  #scheduled = false;
  /** One function for every microtask: no closure per frame. */
  readonly #flushTask = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  constructor(
    private readonly doc: Y.Doc,
    private readonly hooks: UpdateBatchHooks,
  ) {}

  /** Queues a validated update of `peer` (its `count`-th document message). */
  add(peer: Peer, update: Uint8Array, count: number): void {
    if (this.#peer !== peer) this.flush(); // bursts never mix connections: each keeps its own origin
    this.#peer = peer;
    this.#updates.push(update);
    this.#count = count;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flushTask);
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
    const failedAt = updates.length === 1 ? this.#applyOne(peer, updates[0]!) : this.#applyAll(peer, updates);
    if (failedAt === -1) return this.hooks.applied(peer, count);
    const { index, error } = failedAt;
    const cause = new YjsError("ERR_INVALID_UPDATE", `Yjs refused the update: ${(error as Error).message}`, { cause: error });
    this.hooks.failed(peer, cause, count - (updates.length - index));
  }

  #applyOne(peer: Peer, update: Uint8Array): -1 | { index: number; error: unknown } {
    try {
      Y.applyUpdate(this.doc, update, peer);
      return -1;
    } catch (error) {
      return { index: 0, error };
    }
  }

  #applyAll(peer: Peer, updates: Uint8Array[]): -1 | { index: number; error: unknown } {
    let failure: -1 | { index: number; error: unknown } = -1;
    this.doc.transact(() => {
      for (let index = 0; index < updates.length; index++) {
        try {
          Y.applyUpdate(this.doc, updates[index]!, peer);
        } catch (error) {
          failure = { index, error };
          return;
        }
      }
    }, peer);
    return failure;
  }
}
