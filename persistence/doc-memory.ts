import { entriesOfRun } from "./append-entries.js";
import { defaults } from "./defaults.js";
import { closedError, docSubject } from "./errors.js";
import { GroupCommitter, type Writer } from "./group-commit.js";
import { compactLog, mergeLog, type LogEntry } from "./merge.js";
import type { DocStats, DocStore } from "./types.js";

/** A change to the logs, applied when its batch commits (in batch order, synchronously). */
type Apply = () => void;

class MemoryLog implements Writer<Apply> {
  entries: LogEntry[] = [];
  nextClock = 0;
  seal = (): Apply[] => [];
  failed = (): void => {};
}

/**
 * DocStore in memory, for tests and `--no-persist`. Same contract as the LevelDB engine, through the same group
 * committer (appends merged per run, order kept per document); nothing survives a restart.
 */
export class MemoryDocStore implements DocStore {
  /** Kept after a delete (emptied), so the document's queued writes and later ones stay on one writer. */
  readonly #logs = new Map<string, MemoryLog>();
  readonly #committer = new GroupCommitter<Apply, MemoryLog>({
    commit: async (ops) => ops.forEach((apply) => apply()),
    maxJobsPerBatch: defaults.maxJobsPerBatch,
    maxItemsPerRun: defaults.maxUpdatesPerEntry,
    commitIntervalMs: 0, // no fsync to spare
  });
  #closed = false;

  async load(name: string): Promise<Uint8Array | null> {
    const merged = mergeLog(this.#logs.get(name)?.entries ?? []).merged;
    return merged && Uint8Array.from(merged);
  }

  async append(name: string, update: Uint8Array): Promise<void> {
    const log = this.#open(name);
    return this.#committer.add(log, Uint8Array.from(update), (run) =>
      entriesOfRun(run).map((entry) => () => void log.entries.push({ clock: log.nextClock++, update: entry })),
    );
  }

  async compact(name: string, state?: Uint8Array): Promise<void> {
    const log = this.#open(name);
    const given = state && Uint8Array.from(state);
    // Merged when it applies: every append queued before this call has landed then, none queued after it.
    return this.#committer.enqueue(log, () => [
      () => {
        const snapshot = given ?? compactLog(log.entries).merged;
        if (snapshot) log.entries = [{ clock: log.nextClock++, update: snapshot }];
      },
    ]);
  }

  async delete(name: string): Promise<void> {
    const log = this.#open(name);
    return this.#committer.enqueue(log, () => [() => void (log.entries = [])]);
  }

  async names(): Promise<string[]> {
    return [...this.#logs]
      .filter(([, log]) => log.entries.length > 0)
      .map(([name]) => name)
      .sort();
  }

  async stats(name: string): Promise<DocStats> {
    const entries = this.#logs.get(name)?.entries ?? [];
    return { updates: entries.length, bytes: entries.reduce((sum, e) => sum + e.update.byteLength, 0) };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #open(name: string): MemoryLog {
    if (this.#closed) throw closedError(docSubject(name), "memory");
    let log = this.#logs.get(name);
    if (!log) this.#logs.set(name, (log = new MemoryLog()));
    return log;
  }
}
