/** yparty/persistence: where rooms keep their Yjs documents and key-value data. */
import { PostgresStorage, type PostgresStorageOptions } from "./pg/storage.js";
import { LevelStorage } from "./storage-level.js";
import { MemoryStorage } from "./storage-memory.js";
import type { OnStorageProgress } from "./progress.js";
import type { Storage, StorageWarning } from "./types.js";

export type OpenStorageOptions =
  | {
      /** The LevelDB folder (created when missing); yparty's default is `.yparty`. */
      dir: string;
      /** Fsync every write batch, so acknowledged writes survive power loss, not only a process crash. Default `true`. */
      sync?: boolean;
      /** A load reading more log entries than this compacts the document in the background. Default 500. */
      compactOnLoadAbove?: number;
      /** Least time between two commits while only lazy appends of several documents wait (fewer fsyncs, later acks). Default 10. */
      commitIntervalMs?: number;
      /** Problems that did not fail a call, e.g. a corrupt stored update that was skipped. Default: console.warn. */
      onWarning?: (warning: StorageWarning) => void;
      /** Long work of the open (a folder's format upgrade), line by line (progress.ts). Default: none. */
      onProgress?: OnStorageProgress;
    }
  | { memory: true; onWarning?: (warning: StorageWarning) => void }
  /** A PostgreSQL database (`postgres://…`); the other options as `PostgresStorage.open` takes them. */
  | PostgresStorageOptions;

/** Opens the storage: a LevelDB folder, a PostgreSQL database, or memory. Rejects with `StorageError`
 * (ERR_STORAGE_LOCKED when another process holds the folder or the database). */
export async function openStorage(options: OpenStorageOptions): Promise<Storage> {
  if ("memory" in options) return new MemoryStorage();
  if ("url" in options) return PostgresStorage.open({ ...options, onWarning: options.onWarning ?? warnOnConsole });
  return LevelStorage.open({ ...options, onWarning: options.onWarning ?? warnOnConsole });
}

function warnOnConsole(warning: StorageWarning): void {
  console.warn(`[yparty storage] ${warning.code}: ${warning.message}`);
}

export { StorageError } from "./types.js";
export { heldByYparty } from "./errors.js";
export type { OnStorageProgress, StorageProgress } from "./progress.js";
export type {
  AppendOptions,
  CompactionSource,
  DocStats,
  DocStore,
  KvPutOptions,
  KvStore,
  ListOptions,
  Storage,
  StorageErrorCode,
  StorageWarning,
} from "./types.js";
export { LevelStorage, type LevelStorageOptions } from "./storage-level.js";
export { MemoryStorage } from "./storage-memory.js";
export { PostgresStorage, hasFencing, type PostgresStorageOptions, type Fencing } from "./pg/storage.js";
export { isPostgresUrl, redactUrl } from "./pg/url.js";
export { LevelDocStore, type LevelDocStoreOptions } from "./doc-level.js";
export { MemoryDocStore } from "./doc-memory.js";
export { RoomKvStore, type KvBackend, type KvReader, type KvWrite } from "./kv-store.js";
export { LevelKvBackend } from "./kv-level.js";
export { MemoryKvBackend } from "./kv-memory.js";
export type { BatchOp, ByteDb, ByteRange } from "./byte-db.js";
export { defaults as storageDefaults } from "./defaults.js";
export { checkFolder, repairFolder, isClean, type FolderReport, type RepairReport, type DocumentFinding } from "./folder-check.js";
export { describeDamage, type Damage, type LogEnd } from "./ack-record.js";
export { readLevelFolder, type LevelFolderReader, type RoomEntries } from "./level-reader.js";
