/**
 * The memory engine's key-value backend: one room's entries in a Map, sorted for `list` only when asked (kv-range.ts).
 * `RoomKvStore` (kv-store.ts) does the checks, the ordering of reads and writes, and the transactions above it.
 */
import { closedError, roomSubject } from "./errors.js";
import { compareKeys, selectRange } from "./kv-range.js";
import type { KvBackend, KvWrite } from "./kv-store.js";
import type { ListOptions } from "./types.js";

/** One room's entries in memory, stored serialized (so a caller mutating a value later never changes the stored one). */
export class MemoryKvBackend implements KvBackend {
  readonly #entries = new Map<string, Uint8Array>();
  #sortedKeys: string[] | null = null;

  constructor(
    private readonly room: string,
    private readonly isClosed: () => boolean,
  ) {}

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    return this.#entries.get(key);
  }

  async range(options: ListOptions): Promise<Array<[string, Uint8Array]>> {
    this.#sortedKeys ??= [...this.#entries.keys()].sort(compareKeys);
    return selectRange(
      this.#sortedKeys.map((key): [string, Uint8Array] => [key, this.#entries.get(key)!]),
      options,
    );
  }

  /** Synchronous once started, hence all-or-nothing. */
  async write(writes: KvWrite[]): Promise<void> {
    if (this.isClosed()) throw closedError(roomSubject(this.room), "memory");
    for (const write of writes) {
      if (write.type === "clear") this.#entries.clear();
      else if (write.type === "put") this.#entries.set(write.key, write.value);
      else this.#entries.delete(write.key);
    }
    this.#sortedKeys = null;
  }
}
