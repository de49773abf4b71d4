/** A DocStore wrapper whose calls a test can fail, hold back, and count. */
import type { AppendOptions, CompactionSource, DocStats, DocStore } from "../../../persistence/types.js";
import { MemoryDocStore } from "../../../persistence/index.js";

type Hold = () => Promise<void>;

export class ControlledStore implements DocStore {
  readonly inner: DocStore;
  failLoad: Error | null = null;
  failAppend: Error | null = null;
  /** When set, every append waits for this before it is written. */
  holdAppend: Hold | null = null;
  readonly appended: Uint8Array[] = [];
  /** The options of each append, in call order. */
  readonly appendOptions: Array<AppendOptions | undefined> = [];
  compactions = 0;

  constructor(inner: DocStore = new MemoryDocStore()) {
    this.inner = inner;
  }

  async load(name: string): Promise<Uint8Array | null> {
    if (this.failLoad) throw this.failLoad;
    return this.inner.load(name);
  }
  async append(name: string, update: Uint8Array, options?: AppendOptions): Promise<void> {
    this.appendOptions.push(options);
    if (this.holdAppend) await this.holdAppend();
    if (this.failAppend) throw this.failAppend;
    await this.inner.append(name, update, options);
    this.appended.push(update);
  }
  #compactionWaiters: Array<() => void> = [];

  async compact(name: string, source?: CompactionSource): Promise<void> {
    await this.inner.compact(name, source);
    this.compactions++;
    for (const fn of this.#compactionWaiters.splice(0)) fn();
  }

  /** Resolves after the next compaction completes. */
  nextCompaction(): Promise<void> {
    return new Promise((resolve) => this.#compactionWaiters.push(resolve));
  }
  delete(name: string): Promise<void> {
    return this.inner.delete(name);
  }
  names(): Promise<string[]> {
    return this.inner.names();
  }
  stats(name: string): Promise<DocStats> {
    return this.inner.stats(name);
  }
  /** Open `keep`s per document. */
  readonly kept = new Map<string, number>();
  keep(name: string): void {
    this.kept.set(name, (this.kept.get(name) ?? 0) + 1);
    this.inner.keep?.(name);
  }
  release(name: string): void {
    this.kept.set(name, (this.kept.get(name) ?? 0) - 1);
    this.inner.release?.(name);
  }
}
