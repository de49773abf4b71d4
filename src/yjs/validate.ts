/**
 * Payload checks that run BEFORE anything is applied, so a refused frame leaves the document and the
 * awareness states exactly as they were (Yjs and y-protocols may throw half-way through applying).
 */
import * as decoding from "lib0/decoding";
import * as Y from "yjs";
import { readUpdateShape, type UpdateShape } from "../protocol/update-format.js";
import { YjsError } from "./errors.js";
import { YDocumentView } from "./document-view.js";
import { admitPending } from "./pending-size.js";
import { reloadOrderError } from "./reload-order.js";
import { knownStructsError } from "./known-structs.js";
import { mostKnown, newParts } from "./new-parts.js";
import { straddleError } from "./straddle.js";
import { typeNestingError } from "./type-nesting.js";

export interface UpdateLimits {
  /** Structs and deleted ranges one update may hold (`ERR_UPDATE_TOO_LARGE`). */
  maxStructs: number;
  /** Structs and deleted ranges applied in one turn of the event loop: a bigger update is applied in slices. */
  structsPerTurn: number;
  /** How deep shared types may nest in the document (`ERR_INVALID_UPDATE`). */
  maxTypeDepth: number;
}

/**
 * Throws `ERR_INVALID_UPDATE` unless `update` is a whole Yjs (v1) update that Yjs applies without throwing half-way,
 * and `ERR_UPDATE_TOO_LARGE` when it holds more structs than `limits` allow: with `doc`, more than `doc` lacks
 * (new-parts.ts; a reconnect's step 2 holds the whole delete set). What it checks against a document (nesting) is
 * checked by `validateAgainst`, once every update before it is applied.
 */
export function validateUpdate(update: Uint8Array, limits?: Pick<UpdateLimits, "maxStructs">, doc?: Y.Doc): UpdateShape {
  // Past this many parts it is refused whatever the document has: the walk stops there. Counting what the document
  // lacks keeps a few records per client of the update (millions in a crafted 16 MiB frame: ~700 MB).
  const known = doc ? mostKnown(doc) : 0;
  const shape = readUpdateShape(update, undefined, { stopAbove: limits ? limits.maxStructs + known : Number.POSITIVE_INFINITY });
  if (typeof shape === "string") throw new YjsError("ERR_INVALID_UPDATE", `not a Yjs update: ${shape}`);
  if (shape.end === -1) throw tooLarge(shape.parts - known, limits!, doc);
  refuseTrailingBytes(update, shape);
  if (!limits || shape.parts <= limits.maxStructs) return shape;
  const lacking = doc ? newParts(doc, update) : shape.parts;
  if (lacking <= limits.maxStructs) return shape;
  throw tooLarge(lacking, limits, doc);
}

/** `ERR_UPDATE_TOO_LARGE` for an update of `count` parts (with `doc`: at least that many it lacks). */
function tooLarge(count: number, limits: Pick<UpdateLimits, "maxStructs">, doc: Y.Doc | undefined): YjsError {
  // Within a close reason's 120 bytes with 7-digit counts: it names the limit to raise.
  const what = doc ? `${count} structs and deleted ranges not in the room` : `${count} structs and deleted ranges`;
  return new YjsError("ERR_UPDATE_TOO_LARGE", `${what}, over the limit of ${limits.maxStructs} (maxUpdateStructs)`);
}

/**
 * Throws `ERR_INVALID_UPDATE` when bytes follow the update's delete set. Yjs ignores them, but an update is sent to
 * the other connections and stored as it was received (session.ts), so it must hold nothing the walk did not check.
 */
export function refuseTrailingBytes(update: Uint8Array, shape: UpdateShape): void {
  const extra = update.byteLength - shape.end;
  if (extra > 0) throw new YjsError("ERR_INVALID_UPDATE", `not a Yjs update: ${extra} bytes after its delete set`);
}

/**
 * Throws `ERR_INVALID_UPDATE` when `update` has an item whose right origin is not after its origin in the document,
 * one that names neighbours its sender knew were apart (document-view.ts), one the document would apply in part, in
 * another place than the part it has (straddle.ts), or, among the items the walk cannot follow, items a reload of
 * the document would order otherwise than the live room (reload-order.ts); `ERR_PENDING_TOO_LARGE` when part of it
 * may wait and the document holds too much waiting already (pending-size.ts). Run right before the update is
 * applied: it depends on the document's state.
 */
export function validatePartsAgainst(doc: Y.Doc, update: Uint8Array, shape: UpdateShape = shapeAgainst(doc, update), onCopy = true): void {
  checkParts(doc, update, shape, onCopy);
  if (shape.waits) admitPending(doc, update);
}

/** `validatePartsAgainst` for pending structs retried (already taken: they count toward no cap again). */
export function validateRetriedParts(doc: Y.Doc, update: Uint8Array): void {
  checkParts(doc, update, shapeAgainst(doc, update), true);
}

/** The update's shape read against the document (one walk); throws `ERR_INVALID_UPDATE` when it is malformed. */
function shapeAgainst(doc: Y.Doc, update: Uint8Array): UpdateShape {
  const shape = readUpdateShape(update, new YDocumentView(doc, update));
  if (typeof shape === "string") throw new YjsError("ERR_INVALID_UPDATE", `refused: ${shape}`);
  return shape;
}

/** `onCopy`: whether items the walk cannot follow are checked on a copy (an update applied in slices: by each slice). */
function checkParts(doc: Y.Doc, update: Uint8Array, shape: UpdateShape, onCopy: boolean): void {
  if (shape.scattered === 0 && shape.straddling === 0 && shape.known === 0) return;
  const problem =
    (shape.straddling > 0 ? straddleError(doc, update) : undefined) ??
    (shape.known > 0 ? knownStructsError(doc, update) : undefined) ??
    (shape.scattered > 0 && onCopy ? reloadOrderError(doc, update) : undefined);
  if (problem !== undefined) throw new YjsError("ERR_INVALID_UPDATE", `refused: ${problem}`);
}

/** Throws `ERR_INVALID_UPDATE` when `update` (of `shape`) would nest shared types in `doc` deeper than allowed. */
export function validateAgainst(doc: Y.Doc, update: Uint8Array, shape: UpdateShape, limits: Pick<UpdateLimits, "maxTypeDepth">): void {
  if (shape.types === 0) return;
  const problem = typeNestingError(doc, update, limits.maxTypeDepth);
  if (problem !== undefined) throw new YjsError("ERR_INVALID_UPDATE", `refused: ${problem}`);
}

/** The update of an empty document (no structs, no deletions): what a fresh client sends as its sync step 2. */
export function isEmptyUpdate(update: Uint8Array): boolean {
  return update.byteLength === 2 && update[0] === 0 && update[1] === 0;
}

/**
 * Whether applying `update` would change `doc`: it has structs or deletions the doc lacks. Clients send
 * their whole state as sync step 2 on connect, which usually changes nothing.
 */
export function wouldChange(doc: Y.Doc, update: Uint8Array): boolean {
  if (isEmptyUpdate(update)) return false;
  return !Y.snapshotContainsUpdate(Y.snapshot(doc), update);
}

/**
 * Throws `ERR_INVALID_AWARENESS` unless `update` is a whole awareness update whose every state is JSON:
 * `varUint(n) • n × (varUint(clientID) • varUint(clock) • varString(JSON state))`.
 */
export function validateAwarenessUpdate(update: Uint8Array): void {
  const decoder = decoding.createDecoder(update);
  try {
    const count = decoding.readVarUint(decoder);
    for (let i = 0; i < count; i++) {
      decoding.readVarUint(decoder);
      decoding.readVarUint(decoder);
      JSON.parse(decoding.readVarString(decoder));
    }
  } catch (error) {
    throw new YjsError("ERR_INVALID_AWARENESS", `bad awareness update: ${(error as Error).message}`, { cause: error });
  }
  if (decoding.hasContent(decoder)) {
    throw new YjsError("ERR_INVALID_AWARENESS", "bytes left over after the awareness update");
  }
}
