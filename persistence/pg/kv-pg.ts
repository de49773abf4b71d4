/**
 * `room.storage` on PostgreSQL: one room's entries in `room_kv`, keys as kv-codec's bytes so that `bytea` order is
 * Durable Objects' key order whatever the collation. Writes go through the storage's group committer, fenced like
 * appends; lists and large values are read in bounded pieces (bounded-read.ts), so no answer arrives in one turn.
 */
import { closedError, roomSubject } from "../errors.js";
import type { GroupCommitter, Writer } from "../group-commit.js";
import { decodeKey, encodeKey, prefixUpperBound } from "../kv-codec.js";
import type { KvBackend, KvWrite } from "../kv-store.js";
import type { ListOptions } from "../types.js";
import { chunkSql, type Piece, type Range } from "./bounded-read.js";
import type { Claim, Claims } from "./claims.js";
import type { PgOp } from "./commit.js";
import type { ReadQuery } from "./doc-pg.js";
import { toText } from "./names.js";

/** The entries of `room` (as stored: `toText`) that `options` selects, in their order, a chunk a statement. */
function kvRange(room: string, options: ListOptions): Range<Buffer> {
  const values: unknown[] = [room];
  const where = ["room = $1"];
  const bound = (op: string, key: Uint8Array) => where.push(`key ${op} $${values.push(key)}`);
  if (options.prefix !== undefined) {
    const start = encodeKey(options.prefix);
    bound(">=", start);
    const end = prefixUpperBound(start);
    if (end) bound("<", end);
  }
  if (options.start !== undefined) bound(">=", encodeKey(options.start));
  if (options.startAfter !== undefined) bound(">", encodeKey(options.startAfter));
  if (options.end !== undefined) bound("<", encodeKey(options.end));
  const order = options.reverse ? "key DESC" : "key ASC";
  const past = options.reverse ? "<" : ">";
  return {
    chunk: (after, chunkBytes, rows) => {
      const params = [...values];
      const cursor = after === undefined ? "" : ` AND key ${past} $${params.push(after)}`;
      const bytes = `$${params.push(chunkBytes)}::bigint`;
      // `rows`: a checked non-negative integer (at most the list's limit).
      const scan = `SELECT key, value FROM room_kv WHERE ${where.join(" AND ")}${cursor} ORDER BY ${order} LIMIT ${rows}`;
      return { text: chunkSql("key", order, scan, bytes, "length(key)"), values: params };
    },
    slice: (key, from, length) => ({
      text: "SELECT substring(value FROM $3::int FOR $4::int) AS part FROM room_kv WHERE room = $1 AND key = $2",
      values: [room, key, from, length],
    }),
    keyOf: (row) => row.key as Buffer,
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  };
}

/** A key's value, unless it is larger than a chunk (NULL then: read in slices). */
const readSql = "SELECT CASE WHEN length(value) <= $3::bigint THEN value END AS value FROM room_kv WHERE room = $1 AND key = $2";

/** A room's key-value writes in the shared batches (the room's fence is checked with everyone's). */
class KvWriter implements Writer<PgOp> {
  constructor(readonly room: string) {}
  seal(): PgOp[] {
    return [];
  }
  failed(): void {}
}

export interface PgKvOptions {
  location: string;
  committer: GroupCommitter<PgOp, Writer<PgOp> & { room: string }>;
  claims: Claims;
  read: ReadQuery;
  /** A range of rows, one snapshot read in bounded pieces (bounded-read.ts). */
  readRange: (subject: string, range: Range<Buffer>) => Promise<Array<Piece<Buffer>>>;
  /** Bytes of a value one statement reads at most: `readRange`'s chunk (`BoundedReads.chunkBytes`), its one owner. */
  chunkBytes: number;
  isClosed: () => boolean;
  /** Lets `close()` wait for this write. */
  track: <T>(write: Promise<T>) => Promise<T>;
}

/**
 * One room's entries in `room_kv`. Keys are `encodeKey`'s bytes (kv-codec.ts), so `bytea` order is Durable Objects' key
 * order (code point order, whatever the database's collation: bytea compares bytes); values are kv-codec's serialized bytes. Writes go through the group committer, fenced like appends.
 */
export class PgKvBackend implements KvBackend {
  readonly #writer: KvWriter;
  readonly #room: string;

  constructor(
    private readonly room: string,
    private readonly options: PgKvOptions,
  ) {
    this.#writer = new KvWriter(room);
    this.#room = toText(room);
  }

  /**
   * One statement, unless the value is larger than a read's chunk: it is then read in slices, as lists and loads read
   * one (`pg` receives a `bytea` as hex text in one string: a value past ~256 MiB could not be got at all).
   */
  async read(key: string): Promise<Uint8Array | undefined> {
    const encoded = encodeKey(key);
    const [row] = await this.options.read(roomSubject(this.room), readSql, [this.#room, encoded, this.options.chunkBytes]);
    if (!row) return undefined;
    if (row.value !== null) return row.value as Uint8Array;
    const [piece] = await this.options.readRange(roomSubject(this.room), kvRange(this.#room, { start: key, limit: 1 }));
    // Deleted since the first statement: as if read after the delete.
    return piece && Buffer.compare(piece.key, encoded) === 0 ? piece.value : undefined;
  }

  /** One snapshot, read in bounded pieces (bounded-read.ts): a room of many or large entries is not parsed in one turn. */
  async range(options: ListOptions): Promise<Array<[string, Uint8Array]>> {
    const pieces = await this.options.readRange(roomSubject(this.room), kvRange(this.#room, options));
    return pieces.map(({ key, value }): [string, Uint8Array] => [decodeKey(key), value]);
  }

  /** The claim held as a write is called: the fence it carries, whenever its batch is built. */
  heldNow(): Promise<Claim> {
    const claim = this.options.claims.claimFor(this.room, "kv");
    claim.catch(() => undefined); // its write, waiting its turn, fails with it
    return claim;
  }

  write(writes: KvWrite[], held?: unknown): Promise<void> {
    if (this.options.isClosed()) return Promise.reject(closedError(roomSubject(this.room), this.options.location));
    const { room } = this;
    const claim = (held as Promise<Claim> | undefined) ?? this.heldNow();
    const written = this.options.committer.enqueue(this.#writer, async () => {
      const { fence } = await claim;
      return writes.map((write): PgOp => {
        if (write.type === "clear") return { kind: "clear", room, fence };
        if (write.type === "del") return { kind: "del", room, fence, key: encodeKey(write.key) };
        return { kind: "put", room, fence, key: encodeKey(write.key), value: write.value };
      });
    });
    return this.options.track(written);
  }
}
