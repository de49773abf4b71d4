/**
 * The one rule by which a run of appended updates becomes log entries, shared by the LevelDB, PostgreSQL and memory
 * document stores so that each stores a run as the others do.
 */
import * as Y from "yjs";
import { concatUpdates } from "../src/protocol/update-concat.js";

/**
 * The log entries one run of appended updates becomes (group-commit.ts bounds a run at `defaults.maxUpdatesPerEntry`:
 * `Y.mergeUpdates` grows worse than linearly with its inputs): their merge, or each update as it came when they cannot
 * be merged (an update Yjs cannot read is stored as given, as a lone append is; loading skips and reports it).
 * Updates of different clients (typists' appends, the common run) are joined by copying their bytes
 * (src/protocol/update-concat.ts); the others go through `Y.mergeUpdates`.
 */
export function entriesOfRun(updates: readonly Uint8Array[]): Uint8Array[] {
  if (updates.length === 1) return [updates[0]!];
  const joined = concatUpdates(updates);
  if (joined) return [joined];
  try {
    return [Y.mergeUpdates(updates as Uint8Array[])];
  } catch {
    return [...updates];
  }
}
