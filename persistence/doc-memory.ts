import { closedError, docSubject } from "./errors.js";
import { compactLog, mergeLog, type LogEntry } from "./merge.js";
import type { DocStats, DocStore } from "./types.js";

/** DocStore in memory, for tests and `--no-persist`. Same contract as the LevelDB engine, nothing survives a restart. */
export class MemoryDocStore implements DocStore {
  readonly #logs = new Map<string, { entries: LogEntry[]; nextClock: number }>();
  #closed = false;

  async load(name: string): Promise<Uint8Array | null> {
    const merged = mergeLog(this.#logs.get(name)?.entries ?? []).merged;
    return merged && Uint8Array.from(merged);
  }

  async append(name: string, update: Uint8Array): Promise<void> {
    this.#assertOpen(name);
    const log = this.#logs.get(name) ?? { entries: [], nextClock: 0 };
    log.entries.push({ clock: log.nextClock++, update: Uint8Array.from(update) });
    this.#logs.set(name, log);
  }

  async compact(name: string, state?: Uint8Array): Promise<void> {
    this.#assertOpen(name);
    const log = this.#logs.get(name);
    // Synchronous from here on: nothing can be appended between reading the log and replacing it.
    const snapshot = state ? Uint8Array.from(state) : compactLog(log?.entries ?? []).merged;
    if (!snapshot) return;
    const nextClock = log?.nextClock ?? 0;
    this.#logs.set(name, { entries: [{ clock: nextClock, update: snapshot }], nextClock: nextClock + 1 });
  }

  async delete(name: string): Promise<void> {
    this.#assertOpen(name);
    this.#logs.delete(name);
  }

  async names(): Promise<string[]> {
    return [...this.#logs.keys()].sort();
  }

  async stats(name: string): Promise<DocStats> {
    const entries = this.#logs.get(name)?.entries ?? [];
    return { updates: entries.length, bytes: entries.reduce((sum, e) => sum + e.update.byteLength, 0) };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(name: string): void {
    if (this.#closed) throw closedError(docSubject(name), "memory");
  }
}
