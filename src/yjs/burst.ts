/**
 * Applies a burst: the updates one connection sent in one turn of the event loop (one socket read often holds many
 * frames), in ONE Yjs transaction, so observers, cleanup, the room's `update` event, its encoding, the broadcast
 * frame and the store append cost once per burst instead of once per frame. Each update is checked right before it
 * is applied, in one walk (validate-before-apply: Yjs has no rollback). The session owns the queue and decides what
 * the outcome means (acks, refusals); this only applies and reports.
 */
import * as Y from "yjs";
import { readUpdateShape, type UpdateShape, type UpdateStructs } from "../protocol/update-format.js";
import { trackedArrivals } from "./arrivals.js";
import { YDocumentView } from "./document-view.js";
import { YjsError, asRefusal } from "./errors.js";
import { putPendingBack, setPendingAside } from "./pending.js";
import { refuseTrailingBytes, validateAgainst, validatePartsAgainst, validateUpdate, type UpdateLimits } from "./validate.js";

export interface BurstOutcome {
  /** Updates applied, from the first: all of them unless one was refused or is too big for one turn. */
  applied: number;
  /** Why update number `applied` was refused (the rest were not tried), if one was. */
  refusal?: YjsError;
  /**
   * Update number `applied` holds more than `limits.structsPerTurn` structs and deleted ranges: it was not tried (nor
   * the rest), so that the caller applies it in slices across turns of the event loop (slicing.ts).
   */
  oversized?: boolean;
  /**
   * With `oversized`: the update was over `limits.maxStructs` by its raw count and found within it by what the document
   * lacks (validate.ts): the whole check before slicing does not count that again (`checkWhole`'s `judged`).
   */
  withinLimit?: boolean;
  /** Pending structs (accepted earlier) that threw when retried: what they had integrated stays, the rest is dropped. */
  pendingDropped?: Error;
}

/** Where a transaction notes the lone update it applied exactly (`appliedExactly`). */
const EXACT = Symbol("yparty.exact");

/**
 * The update `transaction` applied, when it applied one update and nothing else, exactly as received: every struct
 * of it new to the document and integrated, nothing left waiting, and a change made. Its bytes then say all the
 * transaction changed: they can be sent and stored as received instead of encoded again. Known from the end of the
 * burst's apply (observers and `afterTransaction` listeners may ask).
 */
export function appliedExactly(transaction: Y.Transaction): Uint8Array | undefined {
  return transaction.meta.get(EXACT) as Uint8Array | undefined;
}

/**
 * Applies `updates` with `origin` in one transaction. `ownTransaction` is called with it first when it can only hold
 * these updates (see `holdsOnlyTheBurst`): its update is then all the sender's already.
 */
export function applyBurst(
  doc: Y.Doc,
  updates: readonly Uint8Array[],
  origin: unknown,
  limits: UpdateLimits,
  ownTransaction: (transaction: Y.Transaction) => void,
): BurstOutcome {
  const outcome: BurstOutcome = { applied: 0 };
  const onlyTheBurst = holdsOnlyTheBurst(doc);
  // A transaction that holds only the burst adds structs of the clients its updates list and of no other (what waits
  // comes from them too): the arrival table looks at those only, not at every client the document ever had.
  const arrivals = onlyTheBurst ? trackedArrivals(doc) : undefined;
  try {
    doc.transact((transaction) => {
      if (onlyTheBurst) ownTransaction(transaction);
      const clients = arrivals?.addsOnly(transaction);
      let shape: UpdateShape | undefined;
      for (const update of updates) {
        // Held-back structs are retried after each update on their own: one that throws is not this update's fault.
        const held = setPendingAside(doc);
        let refusal: unknown;
        try {
          const view = new YDocumentView(doc, update);
          shape = checkBeforeApply(doc, update, limits, view, undefined, true, clients);
          Y.applyUpdate(doc, update, origin);
          // Recorded only once it is in, and never from an update part of which waits or is left to the copy check
          if (!shape.waits && shape.scattered === 0) view.recordPassed();
        } catch (error) {
          refusal = error;
        }
        outcome.pendingDropped ??= putPendingBack(doc, held);
        if (refusal === OVERSIZED || refusal === OVERSIZED_WITHIN_LIMIT) {
          outcome.withinLimit = refusal === OVERSIZED_WITHIN_LIMIT;
          return void (outcome.oversized = true);
        }
        if (refusal !== undefined) return void (outcome.refusal = asRefusal(refusal));
        outcome.applied++;
      }
      if (onlyTheBurst && updates.length === 1 && isExactly(doc, transaction, shape!)) transaction.meta.set(EXACT, updates[0]);
    }, origin);
  } catch (error) {
    // An observer threw at the end of the transaction: everything was applied; the last update counts as refused.
    if (!outcome.refusal) {
      outcome.applied = Math.max(0, outcome.applied - 1);
      outcome.refusal = asRefusal(error);
    }
  }
  return outcome;
}

/**
 * Whether the lone update just applied (of `shape`, read against the document before) is all `transaction` changed:
 * nothing of it was known, nothing waits (before, see `holdsOnlyTheBurst`, or after), and it changed something
 * (Yjs reports a transaction that changed nothing to no one). Its clients must also be listed as Yjs lists them: the
 * store merges what it stored with `Y.mergeUpdates`, which drops structs of an update listed otherwise.
 */
function isExactly(doc: Y.Doc, transaction: Y.Transaction, shape: UpdateShape): boolean {
  const { pendingStructs, pendingDs } = doc.store;
  return shape.known === 0 && !shape.outOfOrder && pendingStructs === null && pendingDs === null && (shape.adds > 0 || transaction.deleteSet.clients.size > 0);
}

/**
 * Thrown by `checkBeforeApply` for an update that is to be applied in slices (`BurstOutcome.oversized`); the second
 * once the update was judged within `maxStructs` (`BurstOutcome.withinLimit`).
 */
const OVERSIZED = Symbol("yparty.oversized");
const OVERSIZED_WITHIN_LIMIT = Symbol("yparty.oversized-within-limit");

/**
 * The checks `applyBurst` makes before it applies `update`, for an update that will be applied in slices (slicing.ts),
 * so that nothing of it is applied unless the whole is found fit; all but one: items the walk cannot follow are
 * checked on a copy of the document by each slice (the walk follows every item of a slice of an honest update),
 * as a copy for the whole would cost what applying it does, in one turn. Fills `structs` in the same walk (what
 * cutting it into slices needs). Throws the `YjsError` that refuses it; returns its shape.
 *
 * That walk records every struct, so the update is judged against `limits.maxStructs` before it, by a walk that
 * records nothing and stops past the limit: an update whose first lists stopped the burst's count just over
 * `structsPerTurn` may hold millions more behind them (16 MiB of two-byte structs: ~450 MB recorded before). `judged`:
 * the burst found it within the limit already (`BurstOutcome.withinLimit`): not counted again.
 */
export function checkWhole(doc: Y.Doc, update: Uint8Array, limits: UpdateLimits, structs: UpdateStructs, judged: boolean): UpdateShape {
  // Each struct or deleted range takes two bytes at least: an update too small to hold more than the limit is not
  // counted (the walk below records at most what its bytes hold), so honest sliced updates pay one walk, not two.
  if (!judged && update.byteLength > limits.maxStructs * 2) validateUpdate(update, limits, doc);
  // Judged now: the walk below does not judge it again.
  const whole = { ...limits, maxStructs: Number.POSITIVE_INFINITY, structsPerTurn: Number.POSITIVE_INFINITY };
  return checkBeforeApply(doc, update, whole, new YDocumentView(doc, update), structs, false);
}

/**
 * One walk of `update` against the document (form, size, order), then what only some updates need (nesting, order,
 * waiting). Returns the update's shape; throws `OVERSIZED` for one to apply in slices.
 */
function checkBeforeApply(
  doc: Y.Doc,
  update: Uint8Array,
  limits: UpdateLimits,
  view: YDocumentView,
  structs?: UpdateStructs,
  onCopy = true,
  clients?: number[],
): UpdateShape {
  // An update to apply in slices is known as such from its first struct list's count, most often: no walk of it here.
  const shape = readUpdateShape(update, view, { structs, stopAbove: limits.structsPerTurn, clients });
  if (typeof shape === "string" || shape.parts > limits.maxStructs) {
    // Refused, or over the limit by its raw count: the checks that say why, each with its own code and message (more
    // walks on this path only). What the document has already counts for nothing toward the limit.
    validateUpdate(update, limits, doc);
    if (typeof shape === "string") {
      validatePartsAgainst(doc, update);
      throw new YjsError("ERR_INVALID_UPDATE", `refused: ${shape}`);
    }
    if (shape.parts > limits.structsPerTurn) throw OVERSIZED_WITHIN_LIMIT;
  }
  if (shape.parts > limits.structsPerTurn) throw OVERSIZED;
  refuseTrailingBytes(update, shape);
  validateAgainst(doc, update, shape, limits);
  validatePartsAgainst(doc, update, shape, onCopy);
  return shape;
}

/**
 * The next `transact` opens a transaction that will hold only what the burst writes: none is running (a nested call
 * joins it), no `beforeTransaction` listener could write into it, and nothing is pending that the burst could let in
 * (which its sender may lack). Changes observers make in reaction run in transactions of their own. O(1).
 */
function holdsOnlyTheBurst(doc: Y.Doc): boolean {
  const observers = (doc as unknown as { _observers: Map<string, Set<unknown>> })._observers;
  const { pendingStructs, pendingDs } = doc.store;
  return doc._transaction === null && !observers.get("beforeTransaction")?.size && pendingStructs === null && pendingDs === null;
}
