import * as fs from "node:fs/promises";
import * as path from "node:path";
import { Level } from "level";
import type { ByteDb } from "./byte-db.js";
import { defaults } from "./defaults.js";
import { LevelDocStore } from "./doc-level.js";
import { lockedError, reasonOf } from "./errors.js";
import { InFlight } from "./in-flight.js";
import { LevelKvBackend } from "./kv-level.js";
import { RoomKvStore } from "./kv-store.js";
import { StorageError, type KvStore, type Storage, type StorageWarning } from "./types.js";

export interface LevelStorageOptions {
  dir: string;
  /** Fsync every batch (survives power loss, costs a disk flush per batch). Default: `defaults.sync`. */
  sync?: boolean;
  onWarning?: (warning: StorageWarning) => void;
  /** See `defaults.compactOnLoadAbove`. */
  compactOnLoadAbove?: number;
}

/** Folders this process has open: LevelDB's own lock does not stop a second open in the same process (and a failed
 * second open even releases the first one's lock), so that case is refused here. */
const openFolders = new Set<string>();

/** Both contracts in one LevelDB folder: documents at the top level in y-leveldb's layout, rooms in the `kv` sublevel. */
export class LevelStorage implements Storage {
  readonly docs: LevelDocStore;
  /**
   * Each room's store while anything holds it (a live room, a write in flight): one instance per room keeps its
   * writes in order. One nothing holds is collected, so a long-running server does not grow with every room it saw.
   */
  readonly #rooms = new Map<string, WeakRef<KvStore>>();
  readonly #collected = new FinalizationRegistry<string>((room) => {
    if (this.#rooms.get(room)?.deref() === undefined) this.#rooms.delete(room);
  });
  readonly #kv: ByteDb;
  readonly #kvWrites = new InFlight();
  #closed = false;

  private constructor(
    readonly location: string,
    private readonly db: Level<Uint8Array, Uint8Array>,
    private readonly options: LevelStorageOptions,
  ) {
    this.docs = new LevelDocStore(db, {
      location,
      sync: options.sync ?? defaults.sync,
      compactOnLoadAbove: options.compactOnLoadAbove ?? defaults.compactOnLoadAbove,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
    this.#kv = db.sublevel<Uint8Array, Uint8Array>(defaults.kvSublevel, { keyEncoding: "view", valueEncoding: "view" });
  }

  static async open(options: LevelStorageOptions): Promise<LevelStorage> {
    const location = path.resolve(options.dir);
    if (openFolders.has(location)) throw lockedError(location);
    openFolders.add(location);
    const db = new Level<Uint8Array, Uint8Array>(location, { keyEncoding: "view", valueEncoding: "view" });
    try {
      await fs.mkdir(location, { recursive: true }); // LevelDB creates the last folder only
      await db.open();
    } catch (error) {
      openFolders.delete(location);
      throw openError(location, error);
    }
    return new LevelStorage(location, db, options);
  }

  /** Rooms whose key-value store is in memory now. */
  get roomsKept(): number {
    return this.#rooms.size;
  }

  kv(room: string): KvStore {
    let store = this.#rooms.get(room)?.deref();
    if (!store) {
      const backend = new LevelKvBackend(room, this.#kv, {
        location: this.location,
        sync: this.options.sync ?? defaults.sync,
        isClosed: () => this.#closed,
        track: (write) => this.#kvWrites.track(write),
      });
      store = new RoomKvStore(room, this.location, backend);
      this.#rooms.set(room, new WeakRef(store));
      this.#collected.register(store, room);
    }
    return store;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.docs.close(), this.#kvWrites.drain()]);
    await this.db.close();
    openFolders.delete(this.location);
  }
}

function openError(location: string, error: unknown): StorageError {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (cause?.code === "LEVEL_LOCKED") return lockedError(location, error);
  return new StorageError("ERR_STORAGE_READ", `Could not open ${location}: ${reasonOf(cause ?? error)}`, {
    cause: error,
  });
}
