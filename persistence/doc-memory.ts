/**
 * The memory engine's document store (`--no-persist`, tests): each document's log as an array of entries, under the
 * LevelDB engine's contract with nothing to wait for.
 */
import { entriesOfRun } from "./append-entries.js";
import { defaults } from "./defaults.js";
import { closedError, docSubject } from "./errors.js";
import { compactionOf, mergeLogInTurns, type LogEntry } from "./merge.js";
import type { CompactionSource, DocStats, DocStore } from "./types.js";

/** What every append answers: nothing waits for a disk, and one shared promise costs no allocation per update. */
const STORED = Promise.resolve();

class MemoryLog {
  entries: LogEntry[] = [];
  nextClock = 0;
  /** Appends of this turn of the event loop, not yet an entry: they become entries together, as a batch's run does. */
  run: Uint8Array[] = [];
}

/**
 * DocStore in memory, for tests and `--no-persist`. Same contract as the LevelDB engine, with nothing to wait for: every
 * operation applies when it is called (so order is the order of calls), and the appends of one turn of the event loop
 * become log entries together, merged per `defaults.maxUpdatesPerEntry` as a group commit's run is (append-entries.ts).
 * No queue, promise or batch per update: this is the store of `--no-persist` rooms, on their hot path.
 */
export class MemoryDocStore implements DocStore {
  /** Kept after a delete (emptied). */
  readonly #logs = new Map<string, MemoryLog>();
  /** Logs with appends not yet made entries; they are made at the end of the turn (or when the log is read first). */
  readonly #withRuns = new Set<MemoryLog>();
  readonly #endRuns = (): void => {
    for (const log of this.#withRuns) this.#endRun(log);
  };
  #closed = false;

  async load(name: string): Promise<Uint8Array | null> {
    const entries = this.#entries(name);
    // A pass over the whole document, as in the disk engines: rooms loading together take turns (heavy-work.ts).
    const { merged } = await mergeLogInTurns(entries);
    return merged && Uint8Array.from(merged);
  }

  append(name: string, update: Uint8Array): Promise<void> {
    try {
      this.appendNow(name, update);
    } catch (error) {
      return Promise.reject(error);
    }
    return STORED;
  }

  appendNow(name: string, update: Uint8Array): boolean {
    const log = this.#open(name);
    const { run } = log;
    if (run.length === 0) {
      if (this.#withRuns.size === 0) void STORED.then(this.#endRuns);
      this.#withRuns.add(log);
    }
    const startsEntry = run.length % defaults.maxUpdatesPerEntry === 0;
    run.push(new Uint8Array(update)); // a copy: the caller may reuse its buffer
    return startsEntry;
  }

  async compact(name: string, source?: CompactionSource): Promise<void> {
    const log = this.#open(name);
    // Every append made before this call is in the entries now, none made after it.
    const { given, merge } = compactionOf(source);
    const snapshot = given ?? merge(this.#entries(name)).merged;
    this.#endRun(log);
    if (snapshot) log.entries = [{ clock: log.nextClock++, update: snapshot }];
  }

  async delete(name: string): Promise<void> {
    const log = this.#open(name);
    log.run = [];
    this.#withRuns.delete(log);
    log.entries = [];
  }

  async names(): Promise<string[]> {
    this.#endRuns();
    return [...this.#logs]
      .filter(([, log]) => log.entries.length > 0)
      .map(([name]) => name)
      .sort();
  }

  async stats(name: string): Promise<DocStats> {
    const entries = this.#entries(name);
    return { updates: entries.length, bytes: entries.reduce((sum, e) => sum + e.update.byteLength, 0) };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** The log's entries, with this turn's appends among them. */
  #entries(name: string): LogEntry[] {
    const log = this.#logs.get(name);
    if (!log) return [];
    this.#endRun(log);
    return log.entries;
  }

  /** Makes the log's waiting appends entries: runs of at most `maxUpdatesPerEntry`, each merged into one. */
  #endRun(log: MemoryLog): void {
    this.#withRuns.delete(log);
    const { run } = log;
    if (run.length === 0) return;
    log.run = [];
    if (run.length === 1) return void log.entries.push({ clock: log.nextClock++, update: run[0]! }); // the usual turn: one update
    for (let at = 0; at < run.length; at += defaults.maxUpdatesPerEntry) {
      for (const entry of entriesOfRun(run.slice(at, at + defaults.maxUpdatesPerEntry))) log.entries.push({ clock: log.nextClock++, update: entry });
    }
  }

  #open(name: string): MemoryLog {
    if (this.#closed) throw closedError(docSubject(name), "memory");
    let log = this.#logs.get(name);
    if (!log) this.#logs.set(name, (log = new MemoryLog()));
    return log;
  }
}
