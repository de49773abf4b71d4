import * as Y from "yjs";

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
 * Merges a document's log. Fast path: one `Y.mergeUpdates` over everything. Only when that throws is each entry
 * decoded on its own, so the unreadable ones can be named and left out (the rule in docs/persistence.md).
 */
export function mergeLog(entries: readonly LogEntry[]): MergeResult {
  if (entries.length === 0) return { merged: null, corrupt: [] };
  try {
    return { merged: mergeAll(entries.map((e) => e.update)), corrupt: [] };
  } catch {
    return mergeReadable(entries);
  }
}

/** Throws when any update cannot be decoded (`Y.mergeUpdates` returns a lone update unread, so that one is decoded). */
function mergeAll(updates: Uint8Array[]): Uint8Array {
  if (updates.length > 1) return Y.mergeUpdates(updates);
  Y.decodeUpdate(updates[0]!);
  return updates[0]!;
}

function mergeReadable(entries: readonly LogEntry[]): MergeResult {
  const readable: Uint8Array[] = [];
  const corrupt: MergeResult["corrupt"] = [];
  for (const entry of entries) {
    try {
      mergeAll([entry.update]);
      readable.push(entry.update);
    } catch (error) {
      corrupt.push({ clock: entry.clock, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { merged: readable.length > 0 ? mergeAll(readable) : null, corrupt };
}

/** The state vector of an update, or the empty one when it cannot be read (it is only an index hint). */
export function stateVectorOf(update: Uint8Array): Uint8Array {
  try {
    return Y.encodeStateVectorFromUpdate(update);
  } catch {
    return Uint8Array.of(0);
  }
}
