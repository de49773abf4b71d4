/**
 * The memory engine's `Storage`: documents (doc-memory.ts) and each room's key-value store (kv-memory.ts under
 * kv-store.ts's `RoomKvStore`), nothing on disk. What `--no-persist` and the tests run on.
 */
import { MemoryDocStore } from "./doc-memory.js";
import { MemoryKvBackend } from "./kv-memory.js";
import { RoomKvStore } from "./kv-store.js";
import type { KvStore, Storage } from "./types.js";

/** Both contracts in memory: for tests and `--no-persist`. */
export class MemoryStorage implements Storage {
  readonly location = "memory";
  readonly docs = new MemoryDocStore();
  readonly #rooms = new Map<string, { store: KvStore; backend: MemoryKvBackend }>();
  #closed = false;

  kv(room: string): KvStore {
    let kept = this.#rooms.get(room);
    if (!kept) {
      const backend = new MemoryKvBackend(room, () => this.#closed);
      kept = { store: new RoomKvStore(room, this.location, backend), backend };
      this.#rooms.set(room, kept);
    }
    return kept.store;
  }

  async kvRooms(): Promise<Map<string, number>> {
    return new Map([...this.#rooms].filter(([, { backend }]) => backend.size > 0).map(([room, { backend }]) => [room, backend.size]));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.docs.close();
  }
}
