/**
 * The key-value stores of the rooms in use, one per room: a room that asks twice gets the same store (so its writes
 * stay in one order), and a store nobody holds any more is dropped with its entry, so a long-running server does not
 * keep one for every room it ever served. Shared by the engines that keep their data elsewhere (LevelDB, PostgreSQL).
 */
import type { KvStore } from "./types.js";

export class WeakRoomStores {
  readonly #rooms = new Map<string, WeakRef<KvStore>>();
  readonly #collected = new FinalizationRegistry<string>((room) => {
    if (this.#rooms.get(room)?.deref() === undefined) this.#rooms.delete(room);
  });

  /** Rooms whose store is in memory now. */
  get size(): number {
    return this.#rooms.size;
  }

  /** The room's store, made by `open` when it has none in memory. */
  of(room: string, open: () => KvStore): KvStore {
    let store = this.#rooms.get(room)?.deref();
    if (!store) {
      store = open();
      this.#rooms.set(room, new WeakRef(store));
      this.#collected.register(store, room);
    }
    return store;
  }
}
