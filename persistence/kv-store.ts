/**
 * room.storage's behaviour over any engine: `RoomKvStore` gives one room's `KvBackend` (LevelDB, PostgreSQL, memory)
 * Durable Objects' semantics (argument checks, serialization, writes in call order, reads that see every write called
 * before them, transactions), so that an engine only reads and writes a room's bytes.
 */
import { invalidArgument, readError, roomSubject, writeError } from "./errors.js";
import { assertKey, deserializeValue, serializeValue } from "./kv-codec.js";
import { compareKeys, selectRange, validateListOptions } from "./kv-range.js";
import { StorageError, type KvPutOptions, type KvStore, type ListOptions } from "./types.js";

/** One write of a room's key-value store; `clear` empties the room. */
export type KvWrite = { type: "put"; key: string; value: Uint8Array } | { type: "del"; key: string } | { type: "clear" };

/** Raw reads of one room: serialized values, keys already validated. */
export interface KvReader {
  read(key: string): Promise<Uint8Array | undefined>;
  /** Several keys at once (`get([...])`): one read step, where a reader orders its reads (RoomKvStore). */
  readMany?(keys: readonly string[]): Promise<Array<Uint8Array | undefined>>;
  /** Entries passing `options` (already validated), in key order (reversed and limited as asked). */
  range(options: ListOptions): Promise<Array<[string, Uint8Array]>>;
}

/** What an engine provides for one room. */
export interface KvBackend extends KvReader {
  /** Applies every write together, in order, or none; `held`: what `heldNow` returned as the write was called. */
  write(writes: KvWrite[], held?: unknown): Promise<void>;
  /**
   * What a write carries of the moment it is called, before it waits its turn behind the room's earlier writes: an
   * owner's fence (PostgreSQL). Taken as the write was applied, a put called while this node held the room, applied
   * after the room went to another node and came back, carried the node's new claim and overwrote the other owner's
   * acknowledged value with an older one.
   */
  heldNow?(): unknown;
}

/** The KvStore face shared by a room's store and its transactions: argument checks, (de)serialization. */
abstract class KvFacade implements KvStore {
  constructor(
    protected readonly room: string,
    protected readonly location: string,
  ) {}

  /** Reads for `get` and `list`: they see every write called before them. */
  protected abstract reader(): KvReader;
  /** Reads inside an `exclusive` step, where every earlier write has landed. */
  protected abstract stepReader(): KvReader;
  /** Runs a read-then-write step so that no other write of this room interleaves. */
  protected abstract exclusive<T>(step: () => Promise<T>): Promise<T>;
  /** What the writes called now carry (`KvBackend.heldNow`), handed to `applyWrites` when their turn comes. */
  protected abstract heldNow(): unknown;
  protected abstract applyWrites(writes: KvWrite[], held: unknown): Promise<void>;
  abstract transaction<T>(fn: (txn: KvStore) => Promise<T>): Promise<T>;

  get<T = unknown>(key: string): Promise<T | undefined>;
  get<T = unknown>(keys: string[]): Promise<Map<string, T>>;
  async get<T>(keyOrKeys: string | string[]): Promise<T | undefined | Map<string, T>> {
    if (!Array.isArray(keyOrKeys)) {
      assertKey(keyOrKeys);
      return this.#decode(keyOrKeys, await this.#read(keyOrKeys)) as T | undefined;
    }
    keyOrKeys.forEach(assertKey);
    const found = new Map<string, T>();
    const reader = this.reader();
    let values: Array<Uint8Array | undefined>;
    if (reader.readMany) {
      try {
        values = await reader.readMany(keyOrKeys);
      } catch (error) {
        throw readError(roomSubject(this.room), this.location, error);
      }
    } else {
      values = [];
      for (const key of keyOrKeys) values.push(await this.#read(key, reader));
    }
    keyOrKeys.forEach((key, i) => {
      const bytes = values[i];
      if (bytes !== undefined) found.set(key, this.#decode(key, bytes) as T);
    });
    return found;
  }

  put<T>(key: string, value: T, options?: KvPutOptions): Promise<void>;
  put<T>(entries: Record<string, T>, options?: KvPutOptions): Promise<void>;
  async put<T>(keyOrEntries: string | Record<string, T>, valueOrOptions?: T | KvPutOptions, putOptions?: KvPutOptions): Promise<void> {
    if (typeof keyOrEntries !== "string" && (keyOrEntries === null || typeof keyOrEntries !== "object")) {
      throw invalidArgument(`put takes a string key and a value, or an object of entries; got ${typeof keyOrEntries}`);
    }
    const single = typeof keyOrEntries === "string";
    const entries = single ? [[keyOrEntries, valueOrOptions] as const] : Object.entries(keyOrEntries);
    const checkValue = (single ? putOptions : (valueOrOptions as KvPutOptions | undefined))?.checkValue;
    const writes = entries.map(([key, v]): KvWrite => {
      const value = serializeValue(key, v);
      checkValue?.(key, value.byteLength);
      return { type: "put", key, value };
    });
    const held = this.heldNow();
    await this.exclusive(() => this.applyWrites(writes, held));
  }

  delete(key: string): Promise<boolean>;
  delete(keys: string[]): Promise<number>;
  async delete(keyOrKeys: string | string[]): Promise<boolean | number> {
    const keys = Array.isArray(keyOrKeys) ? keyOrKeys : [keyOrKeys];
    keys.forEach(assertKey);
    const held = this.heldNow();
    const existed = await this.exclusive(async () => {
      let count = 0;
      for (const key of new Set(keys)) if ((await this.#read(key, this.stepReader())) !== undefined) count += 1;
      await this.applyWrites(
        keys.map((key): KvWrite => ({ type: "del", key })),
        held,
      );
      return count;
    });
    return Array.isArray(keyOrKeys) ? existed : existed > 0;
  }

  async deleteAll(): Promise<void> {
    const held = this.heldNow();
    await this.exclusive(() => this.applyWrites([{ type: "clear" }], held));
  }

  async list<T = unknown>(options: ListOptions = {}): Promise<Map<string, T>> {
    validateListOptions(options);
    if (options.limit === 0) return new Map();
    let entries: Array<[string, Uint8Array]>;
    try {
      entries = await this.reader().range(options);
    } catch (error) {
      throw readError(roomSubject(this.room), this.location, error);
    }
    return new Map(entries.map(([key, bytes]) => [key, this.#decode(key, bytes) as T]));
  }

  async #read(key: string, reader = this.reader()): Promise<Uint8Array | undefined> {
    try {
      return await reader.read(key);
    } catch (error) {
      throw readError(roomSubject(this.room), this.location, error);
    }
  }

  /** A stored value that cannot be decoded is refused, never replaced by `undefined` (see docs/persistence.md). */
  #decode(key: string, bytes: Uint8Array | undefined): unknown {
    if (bytes === undefined) return undefined;
    try {
      return deserializeValue(bytes);
    } catch (error) {
      throw new StorageError(
        "ERR_STORAGE_CORRUPT",
        `The stored value of key ${JSON.stringify(key)} in ${roomSubject(this.room)} in ${this.location} cannot be ` +
          `decoded; it was left untouched (overwrite or delete the key to replace it)`,
        { cause: error },
      );
    }
  }
}

/**
 * A room's KvStore over an engine's backend. Writes of one room are applied one after another, in call order, and a
 * read sees every write called before it, awaited or not (Durable Objects' read-your-writes: PartyKit code often
 * does not await `put`).
 *
 * Reads of one room go one at a time, each starting a turn of the event loop after the one before settled, and only
 * then waiting for the writes called so far: the code that awaited a read runs first, and the write of its
 * read-modify-write counts for the next read. Two handlers already running (the runtime's input gate holds only new
 * events) would otherwise both read before either wrote, and one increment was lost (3–8 of ~800 concurrent POSTs on
 * PostgreSQL, whose reads are slow enough to overlap).
 */
export class RoomKvStore extends KvFacade {
  #chain: Promise<unknown> = Promise.resolve();
  /** The last read and the turn after it. */
  #reads: Promise<unknown> = Promise.resolve();
  readonly #afterWrites: KvReader = {
    read: (key) => this.#inTurn(() => this.backend.read(key)),
    readMany: (keys) => this.#inTurn(() => Promise.all(keys.map((key) => this.backend.read(key)))),
    range: (options) => this.#inTurn(() => this.backend.range(options)),
  };

  constructor(
    room: string,
    location: string,
    private readonly backend: KvBackend,
  ) {
    super(room, location);
  }

  protected reader(): KvReader {
    return this.#afterWrites;
  }

  #inTurn<T>(read: () => Promise<T>): Promise<T> {
    const run = this.#reads.then(() => this.#chain).then(read);
    this.#reads = run.then(nextTurn, nextTurn);
    return run;
  }

  protected stepReader(): KvReader {
    return this.backend;
  }

  protected exclusive<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(step);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  protected heldNow(): unknown {
    return this.backend.heldNow?.();
  }

  protected async applyWrites(writes: KvWrite[], held: unknown): Promise<void> {
    try {
      await this.backend.write(writes, held);
    } catch (error) {
      throw writeError(roomSubject(this.room), this.location, error);
    }
  }

  async transaction<T>(fn: (txn: KvStore) => Promise<T>): Promise<T> {
    const txn = new KvTransaction(this.room, this.location, this.#afterWrites);
    const result = await fn(txn);
    const writes = txn.finish();
    if (writes.length === 0) return result;
    const held = this.heldNow(); // its writes are called as it ends
    await this.exclusive(() => this.applyWrites(writes, held));
    return result;
  }
}

/** A transaction's view: writes are buffered (and read back by its own reads) until the room applies them as one. */
class KvTransaction extends KvFacade implements KvReader {
  readonly #staged = new Map<string, Uint8Array | null>();
  #cleared = false;
  #finished = false;

  constructor(
    room: string,
    location: string,
    private readonly base: KvReader,
  ) {
    super(room, location);
  }

  /** Ends the transaction and hands over its writes. */
  finish(): KvWrite[] {
    this.#finished = true;
    const writes: KvWrite[] = this.#cleared ? [{ type: "clear" }] : [];
    for (const [key, value] of this.#staged) {
      writes.push(value === null ? { type: "del", key } : { type: "put", key, value });
    }
    return writes;
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    if (this.#staged.has(key)) return this.#staged.get(key) ?? undefined;
    return this.#cleared ? undefined : this.base.read(key);
  }

  async range(options: ListOptions): Promise<Array<[string, Uint8Array]>> {
    const unlimited = { ...options, limit: undefined, reverse: false };
    const merged = new Map(this.#cleared ? [] : await this.base.range(unlimited));
    for (const [key, value] of this.#staged) {
      if (value === null) merged.delete(key);
      else merged.set(key, value);
    }
    const sorted = [...merged].sort(([a], [b]) => compareKeys(a, b));
    return selectRange(sorted, options);
  }

  protected reader(): KvReader {
    return this;
  }

  protected stepReader(): KvReader {
    return this;
  }

  protected exclusive<T>(step: () => Promise<T>): Promise<T> {
    return step();
  }

  protected heldNow(): unknown {
    return undefined; // the room's store takes it as the transaction ends
  }

  protected async applyWrites(writes: KvWrite[]): Promise<void> {
    if (this.#finished) {
      throw writeError(roomSubject(this.room), this.location, new Error("the transaction has already ended"));
    }
    for (const write of writes) {
      if (write.type === "clear") {
        this.#cleared = true;
        this.#staged.clear();
      } else {
        this.#staged.set(write.key, write.type === "put" ? write.value : null);
      }
    }
  }

  /** A nested transaction joins this one. */
  transaction<T>(fn: (txn: KvStore) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
