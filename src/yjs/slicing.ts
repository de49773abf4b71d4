/**
 * An update too big to apply in one turn of the event loop (a paste of 40 000 paragraphs, the first sync of a large
 * offline document): applying it costs 3–6 µs a struct of the loop every room of the process shares. It is checked
 * whole first (nothing of it is applied unless all of it is fit), then cut into slices (protocol/update-slices.ts)
 * that the session applies a turn each, holding everything else the room receives meanwhile (session.ts). Applied
 * in that order, and with Yjs's formatting cleanup left to the clients (below), the slices leave the document
 * exactly as the whole would (test/protocol/update-slices.test.ts).
 */
import type * as Y from "yjs";
import { emptyStructs, type UpdateStructs } from "../protocol/update-format.js";
import { sliceUpdate } from "../protocol/update-slices.js";
import { checkWhole } from "./burst.js";
import { YjsError } from "./errors.js";
import { heavyTurn } from "../runtime/heavy-work.js";
import type { UpdateLimits } from "./validate.js";

/** An update found fit as a whole, with what cutting it into slices needs. */
export interface CheckedWhole {
  update: Uint8Array;
  structs: UpdateStructs;
  /**
   * The update's own bytes say all it changes (nothing of it is known to the document, nothing waits): once every
   * slice is in, they are what the others get, as one update.
   */
  sendWhole: boolean;
  /** Every struct of it is in the document already (it was sent again: a reconnect's whole state, a retry). */
  addsNothing: boolean;
}

/**
 * Checks `update` whole against `doc`: throws the `YjsError` that refuses it (nothing of it is applied then).
 * `judged`: it is known to be within `limits.maxStructs` (see `checkWhole`).
 */
export function checkForSlices(doc: Y.Doc, update: Uint8Array, limits: UpdateLimits, judged: boolean): CheckedWhole {
  const structs = emptyStructs();
  const shape = checkWhole(doc, update, limits, structs, judged);
  return { update, structs, sendWhole: shape.known === 0 && !shape.waits, addsNothing: shape.known > 0 && shape.adds === 0 };
}

/** The checked update as slices of at most `limits.structsPerTurn` structs and deleted ranges, to apply in order. */
export function cutIntoSlices({ update, structs }: CheckedWhole, limits: UpdateLimits): Uint8Array[] {
  const parts = sliceUpdate(update, limits.structsPerTurn, structs);
  if (typeof parts === "string") throw new YjsError("ERR_INVALID_UPDATE", `not a Yjs update: ${parts}`);
  return parts;
}

/**
 * Resolves in a later turn of the event loop, after the I/O waiting now (other rooms' frames among it), and one in
 * which no other room's heavy work runs (src/runtime/heavy-work.ts): the slices of many rooms take turns, instead of
 * each room's next slice sharing one turn with all the others'.
 */
export function nextTurn(): Promise<void> {
  return heavyTurn();
}

/**
 * Keeps Yjs from cleaning up the formatting of rich text after `transaction` (a slice's). Yjs deletes formatting
 * marks it finds redundant after every remote transaction, judged on the document as it is then: on half an update
 * it finds the closing mark of a bold range redundant whose opening mark is in a later slice, and the text ends up
 * bold. The clients still clean up: they get the update whole. `_needFormattingCleanup` is Yjs internal
 * (yjs/src/types/YText.js); test/protocol/update-slices.test.ts fails should it change.
 */
export function skipFormattingCleanup(transaction: Y.Transaction): void {
  (transaction as unknown as { _needFormattingCleanup: boolean })._needFormattingCleanup = false;
}
