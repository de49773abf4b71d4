import { MemoryDocStore } from "./doc-memory.js";
import { MemoryKvBackend } from "./kv-memory.js";
import { RoomKvStore } from "./kv-store.js";
import type { KvStore, Storage } from "./types.js";

/** Both contracts in memory: for tests and `--no-persist`. */
export class MemoryStorage implements Storage {
  readonly location = "memory";
  readonly docs = new MemoryDocStore();
  readonly #rooms = new Map<string, KvStore>();
  #closed = false;

  kv(room: string): KvStore {
    let store = this.#rooms.get(room);
    if (!store) {
      store = new RoomKvStore(room, this.location, new MemoryKvBackend(room, () => this.#closed));
      this.#rooms.set(room, store);
    }
    return store;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.docs.close();
  }
}
