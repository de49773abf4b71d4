/**
 * The two storage contracts. Engines: LevelDB (default, one folder), PostgreSQL (`postgres://…`, persistence/pg/) and
 * memory (tests, `--no-persist`).
 * Every write resolves only after the engine has taken it; every failure rejects with a `StorageError`.
 */

/** Size of one stored document. */
export interface DocStats {
  /** Entries in its update log (a compacted document has 1). */
  updates: number;
  /** Bytes of all its stored updates. */
  bytes: number;
  /** Set when nothing is left of a document known to have acknowledged writes (damaged storage): it still exists. */
  damaged?: true;
}

/** How an append may be written. */
export interface AppendOptions {
  /**
   * Nobody waits for this append to show the update (with durability "fast" the others have it already; only a durable
   * ack waits): under load the store may hold it up to `commitIntervalMs` so that more writes share one commit (one
   * fsync). Default: written as soon as the writes before it allow.
   */
  lazy?: boolean;
}

/** Yjs documents by name (the runtime names them `${party}/${roomId}`). */
/**
 * What a compaction stores: the given state, or the store's merge of the log — garbage-collected (deleted content
 * dropped) unless `{ keepDeleted: true }`, for a room that keeps its history and whose live document holds more than
 * the store may (y-partykit's `load()` state, which is never stored).
 */
export type CompactionSource = Uint8Array | { keepDeleted: true };

export interface DocStore {
  /** The merged state of every stored update (a Yjs update), or `null` when nothing is stored. */
  load(name: string): Promise<Uint8Array | null>;
  /**
   * Appends one update to the document's log; resolves once it is durably written. Appends of one document that will
   * land in one commit may get the same promise (LevelDB: a run of the group committer), so a caller can
   * track them as one; a different promise says nothing (the same commit may still take both).
   */
  append(name: string, update: Uint8Array, options?: AppendOptions): Promise<void>;
  /**
   * Optional, for an engine with nothing to wait for (memory): `append`, done by the time it returns (it throws the
   * `StorageError` that `append` would reject with). Spares the caller a promise and a microtask per update. Returns
   * whether the log's entry count grew (appends of one turn of the event loop share entries, as `append`'s do).
   */
  appendNow?(name: string, update: Uint8Array): boolean;
  /**
   * Replaces the log with one snapshot: the given state, or the merge of what is stored (see `CompactionSource`).
   * Updates appended while a compaction runs are never lost.
   */
  compact(name: string, source?: CompactionSource): Promise<void>;
  /** Removes the document and its log. */
  delete(name: string): Promise<void>;
  /** Names of all stored documents, sorted. */
  names(): Promise<string[]>;
  /** `{ updates: 0, bytes: 0 }` for a document that is not stored. */
  stats(name: string): Promise<DocStats>;
  /**
   * Optional. A live room keeps its document from before its load until it stops, so a store that forgets what it
   * knows of idle documents (LevelDB: the log's end and size) keeps that for as long. Each `keep` gets one `release`.
   */
  keep?(name: string): void;
  release?(name: string): void;
}

export interface ListOptions {
  prefix?: string;
  /** Inclusive lower bound. */
  start?: string;
  /** Exclusive lower bound. */
  startAfter?: string;
  /** Exclusive upper bound. */
  end?: string;
  limit?: number;
  reverse?: boolean;
}

/**
 * One room's ordered key-value store: the engine under the Durable-Object-like `room.storage`.
 * Values are anything structured clone can copy (Map, Set, Date, Uint8Array, nested objects).
 */
/** What a caller may ask of one `put`. */
export interface KvPutOptions {
  /** Called with each value's serialized size before anything is written; what it throws refuses the whole put. */
  checkValue?(key: string, bytes: number): void;
}

export interface KvStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  get<T = unknown>(keys: string[]): Promise<Map<string, T>>;
  put<T>(key: string, value: T, options?: KvPutOptions): Promise<void>;
  put<T>(entries: Record<string, T>, options?: KvPutOptions): Promise<void>;
  /** `true` when the key existed. */
  delete(key: string): Promise<boolean>;
  /** How many of the keys existed. */
  delete(keys: string[]): Promise<number>;
  deleteAll(): Promise<void>;
  /** Entries in key order (reverse order with `reverse`). */
  list<T = unknown>(options?: ListOptions): Promise<Map<string, T>>;
  /** Runs `fn` against a transactional view: all of its writes land together, or none does if it throws. */
  transaction<T>(fn: (txn: KvStore) => Promise<T>): Promise<T>;
}

/** One storage location holding both contracts. */
export interface Storage {
  readonly docs: DocStore;
  /** The key-value store of one room. `room` is an opaque id (the runtime uses `${party}/${roomId}`). */
  kv(room: string): KvStore;
  /**
   * Every `kv(room)` holding entries, with how many it holds: how a listing finds the rooms that keep no document
   * (a PartyKit room's `room.storage`) while they are not loaded.
   */
  kvRooms(): Promise<Map<string, number>>;
  /** Where the data lives, for messages: the folder's absolute path, the database URL without password, or `"memory"`. */
  readonly location: string;
  /** Flushes and releases the folder. */
  close(): Promise<void>;
}

export type StorageErrorCode =
  /** A write the engine refused (closed database, I/O error, …). */
  | "ERR_STORAGE_WRITE"
  /**
   * A call of a room instance that has stopped (a reload swapped its code, it was unloaded, the server closes): another
   * instance may hold the room now, and this one's write would replace that one's. Nothing of it landed.
   */
  | "ERR_ROOM_STOPPED"
  /** A write refused because the disk (or the process's file size limit) is full; retrying works once space returns. */
  | "ERR_STORAGE_FULL"
  /** A document known to miss writes that were acknowledged (damaged storage); refused until `yparty repair`. */
  | "ERR_DOCUMENT_DAMAGED"
  /** A read the engine failed. */
  | "ERR_STORAGE_READ"
  /** Another process holds the folder. */
  | "ERR_STORAGE_LOCKED"
  /** A data folder LevelDB cannot write to (a read-only file system, no permission): it writes even to read. */
  | "ERR_STORAGE_NOT_WRITABLE"
  /** A warning: the data folder can be read by every local user (its mode); yparty leaves it as it is. */
  | "ERR_STORAGE_PERMISSIONS"
  /** A data folder in a format this yparty does not know (written by a newer one): refused, nothing changed. */
  | "ERR_STORAGE_FORMAT"
  /** A stored update that cannot be decoded. */
  | "ERR_STORAGE_CORRUPT"
  /** Bad input from the caller: a non-string key, a value structured clone cannot copy, contradicting list options. */
  | "ERR_STORAGE_INVALID_ARGUMENT"
  /**
   * A write refused because its room was claimed by another owner since this storage claimed it (PostgreSQL: the
   * room's fence moved past the writer's). Never retried: the writer no longer owns the room. Nothing of it landed.
   */
  | "ERR_FENCED";

/** Something worth telling the operator that did not fail the call (e.g. a corrupt update that was skipped). */
export interface StorageWarning {
  code: StorageErrorCode;
  message: string;
  /** The document concerned, when there is one. */
  doc?: string;
  /** `"error"` for what an operator must act on (damaged storage); a warning otherwise. */
  level?: "error";
}

/** A storage failure. Its message names the room (when there is one) and the folder. */
export class StorageError extends Error {
  override readonly name = "StorageError";
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
