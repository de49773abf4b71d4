/**
 * The LevelDB engine's key-value backend: one room's entries in the `kv` sublevel behind its room prefix (kv-codec.ts),
 * `list` options turned into one byte range, a clear listed as deletes in the same batch as the room's other writes;
 * and the rooms that hold data, with their counts (`levelKvRooms`, for `Storage.kvRooms`).
 */
import type { BatchOp, ByteDb, ByteRange } from "./byte-db.js";
import { closedError, roomSubject } from "./errors.js";
import { decodeKey, encodeKey, prefixUpperBound, roomOfKey, roomPrefix } from "./kv-codec.js";
import type { KvBackend, KvWrite } from "./kv-store.js";
import type { ListOptions } from "./types.js";

interface Bound {
  key: Buffer;
  inclusive: boolean;
}

/** One room's entries in the `kv` sublevel: keys are `roomPrefix(room) + encodeKey(key)` (see kv-codec.ts). */
export class LevelKvBackend implements KvBackend {
  readonly #prefix: Buffer;
  readonly #roomEnd: Buffer;

  constructor(
    private readonly room: string,
    private readonly db: ByteDb,
    private readonly options: {
      location: string;
      sync: boolean;
      isClosed: () => boolean;
      /** Lets `close()` wait for this write. */
      track?: <T>(write: Promise<T>) => Promise<T>;
      /**
       * Resolves once the database takes writes (reopened after a failed one: write-guard.ts). A clear lists the keys
       * it deletes only then: before, a delete refused beside the failed write looks done, and the reopen's replay
       * may bring its key back.
       */
      whenWritable?: () => unknown;
    },
  ) {
    this.#prefix = roomPrefix(room);
    // The prefix starts with the room id's length (< 2^32), so it always has a byte below 0xff to increment.
    this.#roomEnd = prefixUpperBound(this.#prefix)!;
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    const storedKey = this.#key(key);
    const [value] = await this.db.values({ gte: storedKey, lte: storedKey }).all();
    return value;
  }

  async range(options: ListOptions): Promise<Array<[string, Uint8Array]>> {
    const range = this.#byteRange(options);
    if (!range) return [];
    const entries = await this.db.iterator(range).all();
    if (range.limit !== undefined && entries.length === range.limit && entries.length > 0) {
      await this.#checkSpan(entries[0]![0], entries.at(-1)![0]);
    }
    return entries.map(([key, value]): [string, Uint8Array] => [decodeKey(key.subarray(this.#prefix.length)), value]);
  }

  write(writes: KvWrite[]): Promise<void> {
    if (this.options.isClosed()) return Promise.reject(closedError(roomSubject(this.room), this.options.location));
    const written = this.#write(writes);
    return this.options.track ? this.options.track(written) : written;
  }

  async #write(writes: KvWrite[]): Promise<void> {
    const ops: BatchOp[] = [];
    for (const write of writes) {
      if (write.type === "clear") {
        // A batch cannot hold a range delete: list the room's keys so the clear lands with the rest, atomically.
        await this.options.whenWritable?.();
        const stored = await this.db.keys(this.#byteRange({})!).all();
        for (const key of stored) ops.push({ type: "del", key }); // no spread: a room can hold 100k+ keys
      } else if (write.type === "put") {
        ops.push({ type: "put", key: this.#key(write.key), value: write.value });
      } else {
        ops.push({ type: "del", key: this.#key(write.key) });
      }
    }
    if (ops.length > 0) await this.db.batch(ops, { sync: this.options.sync });
  }

  /**
   * Throws if LevelDB skipped a damaged block between `a` and `b` (a limited read's first and last keys, either order).
   * LevelDB's iterator steps over a block it cannot read and keeps the error, and classic-level asks for it only when a
   * read ends at the range's end, not at its limit: a `list({ limit })` answered without the block's entries and no
   * error. A read of the keys in the span ends at its end, so its error is asked for: one more read of keys only, and
   * only when the limit cut the read.
   */
  async #checkSpan(a: Uint8Array, b: Uint8Array): Promise<void> {
    const [gte, lte] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
    await this.db.keys({ gte, lte }).all();
  }

  #key(key: string): Buffer {
    return Buffer.concat([this.#prefix, encodeKey(key)]);
  }

  /** The options as one byte range inside this room, or `null` when it is empty. */
  #byteRange(options: ListOptions): ByteRange | null {
    const lower: Bound[] = [{ key: this.#prefix, inclusive: true }];
    const upper: Bound[] = [{ key: this.#roomEnd, inclusive: false }];
    if (options.prefix !== undefined) {
      const start = this.#key(options.prefix);
      lower.push({ key: start, inclusive: true });
      const end = prefixUpperBound(start);
      if (end) upper.push({ key: end, inclusive: false });
    }
    if (options.start !== undefined) lower.push({ key: this.#key(options.start), inclusive: true });
    if (options.startAfter !== undefined) lower.push({ key: this.#key(options.startAfter), inclusive: false });
    if (options.end !== undefined) upper.push({ key: this.#key(options.end), inclusive: false });
    const from = lower.reduce(tighterLower);
    const to = upper.reduce(tighterUpper);
    if (Buffer.compare(from.key, to.key) >= 0) return null; // every upper bound is exclusive
    return {
      [from.inclusive ? "gte" : "gt"]: from.key,
      lt: to.key,
      reverse: options.reverse ?? false,
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    };
  }
}

function tighterLower(a: Bound, b: Bound): Bound {
  const order = Buffer.compare(a.key, b.key);
  if (order !== 0) return order > 0 ? a : b;
  return a.inclusive ? b : a;
}

function tighterUpper(a: Bound, b: Bound): Bound {
  return Buffer.compare(a.key, b.key) <= 0 ? a : b;
}

/**
 * The rooms of the `kv` sublevel with their entry counts: the first key past the last room found names the next room
 * (one seek a room, never a read of the whole sublevel at once), then that room's keys are counted.
 */
export async function levelKvRooms(db: ByteDb): Promise<Map<string, number>> {
  const rooms = new Map<string, number>();
  for (let from: Uint8Array | undefined; ; ) {
    const [first] = await db.keys(from === undefined ? { limit: 1 } : { gte: from, limit: 1 }).all();
    if (first === undefined) return rooms;
    const room = roomOfKey(first);
    const prefix = roomPrefix(room);
    from = prefixUpperBound(prefix)!; // a room's prefix always has a byte below 0xff (see LevelKvBackend)
    rooms.set(room, (await db.keys({ gte: prefix, lt: from }).all()).length);
  }
}
