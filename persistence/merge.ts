/**
 * A document's stored log made one update, by every engine: for a load (losing nothing, spread over turns of the event
 * loop: heavy-work.ts) and for a compaction (garbage-collected unless the room keeps deleted content), the entries that
 * cannot be decoded left out and named.
 */
import * as Y from "yjs";
import { readUpdateShape, updateFormatError } from "../src/protocol/update-format.js";
import { defaults } from "./defaults.js";
import { reasonOf } from "./errors.js";
import { inHeavyTurn } from "./heavy-work.js";
import type { CompactionSource } from "./types.js";

/** One stored log entry: its position in the log and its bytes. */
export interface LogEntry {
  clock: number;
  update: Uint8Array;
}

export interface MergeResult {
  /** The merge of every readable entry (a Yjs update), or `null` when none is readable. */
  merged: Uint8Array | null;
  /** Entries that could not be decoded and were left out. */
  corrupt: Array<{ clock: number; reason: string }>;
}

/**
 * Merges a document's log for loading, losing nothing: deleted content stays, since the store does not know whether
 * the room keeps its history (`gc: false`, whose snapshots need it; a collecting room drops it as it applies the
 * merge). A short log is merged with `Y.mergeUpdates` (one pass, no Y.Doc); a long one through a Y.Doc, because
 * `Y.mergeUpdates` re-sorts all its inputs for every struct (quadratic on a 260k-entry log). Either way, entries that
 * cannot be decoded are left out and named (the rule in docs/persistence.md).
 */
export function mergeLog(entries: readonly LogEntry[]): MergeResult {
  return entries.length > defaults.mergeInDocAbove ? mergeInDoc(entries, { gc: false }) : mergeLazily(entries);
}

/**
 * `mergeLog` for a load, spread over turns of the event loop (heavy-work.ts): a long log's entries are applied one a
 * piece, then encoded in a piece of their own. Merged in one piece, a 300 KB document's log of 70 entries held the loop
 * 80–200 ms (0.7–1 s beside CPU hogs): a node taking over rooms lost its own leases in that turn. One entry is at most
 * one update's apply (the largest, a snapshot, some 20 ms for 300 KB). The pieces are queued together, so rooms loading
 * together still come back one after the other. A short log is merged in one piece (`Y.mergeUpdates`, one pass).
 */
export async function mergeLogInTurns(entries: readonly LogEntry[]): Promise<MergeResult> {
  if (entries.length <= defaults.mergeInDocAbove) return inHeavyTurn(() => mergeLazily(entries));
  const doc = new Y.Doc({ gc: false });
  let failed = false;
  const applied = entries.map((entry) =>
    inHeavyTurn(() => {
      if (!failed) failed = !applyOne(doc, entry);
    }),
  );
  const encoded = inHeavyTurn(() => (failed ? null : Y.encodeStateAsUpdate(doc)));
  await Promise.all(applied);
  const merged = await encoded;
  // An entry threw, possibly half applied: merged again (one piece), without the entries that cannot be decoded.
  return merged ? { merged, corrupt: [] } : inHeavyTurn(() => mergeInDoc(entries, { gc: false }));
}

/** Applies one entry in a transaction of its own; false when it throws. */
function applyOne(doc: Y.Doc, entry: LogEntry): boolean {
  try {
    Y.applyUpdate(doc, entry.update);
    return true;
  } catch {
    return false;
  }
}

/** The log as one garbage-collected snapshot (deleted text dropped), for compaction of a collecting room. */
export function compactLog(entries: readonly LogEntry[]): MergeResult {
  return mergeInDoc(entries, { gc: true });
}

/** What an engine's compaction stores: `given` (a copy: the caller may reuse its buffer), or `merge` of the log. */
export interface Compaction {
  given?: Uint8Array;
  merge: (entries: readonly LogEntry[]) => MergeResult;
}

export function compactionOf(source: CompactionSource | undefined): Compaction {
  if (source instanceof Uint8Array) return { given: Uint8Array.from(source), merge: compactLog };
  return { merge: source?.keepDeleted ? mergeLog : compactLog };
}

function mergeLazily(entries: readonly LogEntry[]): MergeResult {
  if (entries.length === 0) return { merged: null, corrupt: [] };
  // `Y.mergeUpdates` drops structs of an update whose clients are not listed highest first. Yjs never writes one and
  // the room stores such an update only as its own encoding (src/yjs/burst.ts), but a store written before may hold one.
  if (entries.length > 1 && entries.some((entry) => listedOutOfOrder(entry.update))) return mergeInDoc(entries, { gc: false });
  try {
    return { merged: mergeUpdates(entries), corrupt: [] };
  } catch {
    const { readable, corrupt } = splitReadable(entries);
    return { merged: readable.length > 0 ? mergeUpdates(readable) : null, corrupt };
  }
}

/**
 * The entries merged, the later one kept where two hold a struct with the same ID (`Y.mergeUpdates` keeps the first
 * of its inputs): the room stores what waits for a change it has not seen ("pending") as an entry, and the struct
 * that took that ID in the live document came later (what waited under it was dropped, src/yjs/pending.ts); an
 * update forged to take a client's next IDs ahead of it would otherwise win on load and hide that client's history.
 * Throws when any update cannot be decoded (`Y.mergeUpdates` returns a lone update unread, so that one is checked).
 */
function mergeUpdates(entries: readonly LogEntry[]): Uint8Array {
  if (entries.length > 1) return Y.mergeUpdates(entries.map((entry) => entry.update).reverse());
  assertDecodable(entries[0]!.update);
  return entries[0]!.update;
}

function listedOutOfOrder(update: Uint8Array): boolean {
  const shape = readUpdateShape(update);
  return typeof shape !== "string" && shape.outOfOrder;
}

function assertDecodable(update: Uint8Array): void {
  const problem = updateFormatError(update);
  if (problem !== undefined) throw new Error(problem);
}

/** `gc`: whether the merge drops deleted content (as a collecting Y.Doc does). */
function mergeInDoc(entries: readonly LogEntry[], { gc }: { gc: boolean }): MergeResult {
  if (entries.length === 0) return { merged: null, corrupt: [] };
  const first = applyEach(entries, gc);
  if (first.failed.length === 0) return { merged: Y.encodeStateAsUpdate(first.doc), corrupt: [] };
  // An entry threw, possibly after part of it was applied: start over with the entries that decode, so that no part
  // of a corrupt entry ends up in the result.
  const { readable, corrupt } = splitReadable(entries);
  const clean = applyEach(readable, gc);
  const applied = readable.length - clean.failed.length;
  return { merged: applied > 0 ? Y.encodeStateAsUpdate(clean.doc) : null, corrupt: [...corrupt, ...clean.failed] };
}

/** Applies every entry to a new Y.Doc in one transaction, noting the ones that throw. */
function applyEach(entries: readonly LogEntry[], gc: boolean): { doc: Y.Doc; failed: MergeResult["corrupt"] } {
  const doc = new Y.Doc({ gc });
  const failed: MergeResult["corrupt"] = [];
  doc.transact(() => {
    for (const entry of entries) {
      try {
        Y.applyUpdate(doc, entry.update);
      } catch (error) {
        failed.push({ clock: entry.clock, reason: reasonOf(error) });
      }
    }
  });
  return { doc, failed };
}

function splitReadable(entries: readonly LogEntry[]): { readable: LogEntry[]; corrupt: MergeResult["corrupt"] } {
  const readable: LogEntry[] = [];
  const corrupt: MergeResult["corrupt"] = [];
  for (const entry of entries) {
    const reason = updateFormatError(entry.update);
    if (reason === undefined) readable.push(entry);
    else corrupt.push({ clock: entry.clock, reason });
  }
  return { readable, corrupt };
}
