/**
 * Reads of many rows (a document's log, a room's `list`) in bounded pieces. `pg` parses every row that arrived in one
 * turn of the event loop (its protocol parser, and the hex text of `bytea`, twice the bytes): a node taking over many
 * rooms read their whole logs at once, ten connections' answers arrived together, and their parse held its loop
 * 30–135 ms a turn, lease renewals and every other room with it (docs/persistence.md, "Loading in bounded pieces"). So
 * each statement reads at most `chunkBytes` of rows (and the row that crosses that, if no larger; a larger value is
 * read in slices), and at most `readersAtOnce` reads run at once per storage: a turn parses at most that many chunks.
 *
 * A range that fits one chunk (most) is one statement. A longer one is read again from its start in a read-only
 * REPEATABLE READ transaction, one statement a chunk or slice: one snapshot, the rows as one commit left them, whatever
 * commits meanwhile.
 */
import type { Pool, PoolClient } from "pg";
import { readError } from "../errors.js";
import { isUnanswered } from "./transient.js";

/** Bytes of rows one statement reads at most (twice that with the row that crosses it): 0.5–1 MB of text to parse. */
export const READ_CHUNK_BYTES = 256 * 1024;
/** Long reads under way at once, per storage (fewer with a smaller pool: a commit always finds a connection). */
export const READERS_AT_ONCE = 2;
/** Rows one statement looks at at most (the byte bound is applied to these): bounds its scan of a long range. */
const CHUNK_ROWS = 1_000;
/** Statements a value larger than a chunk is read in at most (past 4 MB, its slices are larger than a chunk). */
const MAX_SLICES = 16;

export type Row = Record<string, unknown>;
export interface Statement {
  text: string;
  values: unknown[];
}
type Querier = Pick<Pool | PoolClient, "query">;

/** What a range is read as: each row's key (its place in the range's order) and value. */
export interface Piece<K> {
  key: K;
  value: Uint8Array;
}

/** A range of rows in key order, read a chunk a statement. */
export interface Range<K> {
  /**
   * The statement reading the range's rows after `after` (from its first when undefined), `chunkSql` around a scan of
   * at most `rows` rows.
   */
  chunk(after: K | undefined, chunkBytes: number, rows: number): Statement;
  /** The statement reading `length` bytes of `key`'s value from byte `from` (1-based), as column `part`. */
  slice(key: K, from: number, length: number): Statement;
  keyOf(row: Row): K;
  /** Rows the answer holds at most (a list's limit). */
  limit?: number;
}

/**
 * A chunk's statement around `scan`, which selects the key's columns `keys` and `value` of at most `rows` rows after
 * the cursor, ordered by `order`: those starting within `$bytesParam` bytes (counted with `extra`, an expression over
 * the row: a key's own bytes) of the first. A value larger than that comes without its bytes (NULL; `bytes` its size),
 * to be read in slices; `scanned` says how many rows the scan looked at.
 */
export function chunkSql(keys: string, order: string, scan: string, bytesParam: string, extra = "0"): string {
  return `SELECT ${keys}, CASE WHEN bytes <= ${bytesParam} THEN value END AS value, bytes, scanned FROM (
    SELECT ${keys}, value, length(value) AS bytes, count(*) OVER () AS scanned,
      sum(length(value) + ${extra}) OVER (ORDER BY ${order} ROWS UNBOUNDED PRECEDING) - (length(value) + ${extra}) AS before
    FROM (${scan}) scan
  ) chunk WHERE before < ${bytesParam} ORDER BY ${order}`;
}

/** pg hands out Buffers; callers get plain Uint8Arrays, as from the other engines. */
const plain = (bytes: unknown): Uint8Array => {
  const buffer = bytes as Uint8Array;
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
};

/**
 * What a read is for. A closing storage gives no more answers (a load, a list): they stop as the close begins. A write's
 * own reads (a compaction's, of the log it merges) go on until its writes have landed.
 */
export type ReadPurpose = "answer" | "write";

/** A read in its turn: `check` throws once the storage stops reads of its purpose (before each statement). */
export interface ReadTurn {
  check(): void;
}

/** A row whose value is read in slices: its key and size. */
interface Sliced<K> {
  key: K;
  bytes: number;
}
const isWhole = <K>(piece: Piece<K> | Sliced<K>): piece is Piece<K> => "value" in piece;

/** Reads ranges in bounded pieces; one per storage, so that its reads share `readersAtOnce`. */
export class BoundedReads {
  /** Reads waiting for a turn to run, first come first served. */
  readonly #waiting: Array<{ start(): void; fail(error: unknown): void }> = [];
  #running = 0;
  /** When a read went unanswered, none being answered since: PostgreSQL may be frozen, or that read alone slow. */
  #unansweredSince: number | undefined;
  /** Reads stopped by a closing storage: answers first (`stopAnswers`), then all (`close`). */
  #stopped: ReadPurpose | undefined;

  constructor(
    readonly pool: Pool,
    private readonly location: string,
    private readonly readersAtOnce: number,
    readonly chunkBytes = READ_CHUNK_BYTES,
  ) {}

  /** The whole range, one snapshot, as an answer (`ReadPurpose`); rejects with ERR_STORAGE_READ naming `subject`. */
  range<K>(subject: string, range: Range<K>): Promise<Array<Piece<K>>> {
    return this.run(subject, "answer", async (turn) => {
      const first = this.firstStatement(range);
      const { rows } = await this.pool.query(first.text, first.values);
      return this.firstChunk(rows, range) ?? this.inSnapshot((client) => this.all(client, range, turn));
    });
  }

  /** `read` in its turn (at most `readersAtOnce` at once); rejects with ERR_STORAGE_READ naming `subject`. */
  async run<T>(subject: string, purpose: ReadPurpose, read: (turn: ReadTurn) => Promise<T>): Promise<T> {
    try {
      await this.#turn();
    } catch (error) {
      throw readError(subject, this.location, error);
    }
    const started = performance.now();
    const turn: ReadTurn = { check: () => this.#check(purpose) };
    try {
      turn.check();
      const result = await read(turn);
      this.answered();
      return result;
    } catch (error) {
      if (isUnanswered(error)) this.#unanswered(error as Error, started);
      throw readError(subject, this.location, error);
    } finally {
      this.#done();
    }
  }

  /** The statement of a range's first chunk, read on the pool (outside a snapshot). */
  firstStatement<K>(range: Range<K>): Statement {
    return range.chunk(undefined, this.chunkBytes, rowsAsked(range.limit));
  }

  /** A first chunk's rows: the range, if they are all of it (most), else `undefined` (read it in a snapshot). */
  firstChunk<K>(rows: Row[], range: Range<K>): Array<Piece<K>> | undefined {
    const chunk = this.chunkOf(rows, range, range.limit);
    return !chunk.more && chunk.pieces.every(isWhole) ? (chunk.pieces as Array<Piece<K>>) : undefined;
  }

  /** `read` in a read-only snapshot on one connection. */
  async inSnapshot<T>(read: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out client whose connection is cut emits "error", which nothing else listens to (the process would
    // die of it); the statement under way rejects with it too, which is what fails the read.
    client.on("error", ignore);
    let failed: Error | undefined;
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const result = await read(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      failed = error as Error;
      throw error;
    } finally {
      client.off("error", ignore);
      client.release(failed); // a connection that failed half-way (its transaction open, or cut) is not reused
    }
  }

  /** The whole range on `client` (in a snapshot), a chunk a statement, each after `turn.check()`. */
  async all<K>(client: Querier, range: Range<K>, turn: ReadTurn): Promise<Array<Piece<K>>> {
    const pieces: Array<Piece<K>> = [];
    let after: K | undefined;
    for (let more = true; more; ) {
      const left = range.limit === undefined ? undefined : range.limit - pieces.length;
      turn.check();
      const statement = range.chunk(after, this.chunkBytes, rowsAsked(left));
      const chunk = this.chunkOf((await client.query(statement.text, statement.values)).rows, range, left);
      for (const piece of chunk.pieces) pieces.push(isWhole(piece) ? piece : await this.#readSliced(client, range, piece, turn));
      more = chunk.more;
      const last = chunk.pieces.at(-1);
      if (last) after = last.key;
    }
    return pieces;
  }

  /** A chunk's rows (those too large for one statement without their values yet), and whether the range goes on. */
  private chunkOf<K>(rows: Row[], range: Range<K>, left: number | undefined): { pieces: Array<Piece<K> | Sliced<K>>; more: boolean } {
    const scanned = rows.length === 0 ? 0 : Number(rows[0]!.scanned);
    const pieces = rows.map((row) => {
      const key = range.keyOf(row);
      return row.value === null ? { key, bytes: Number(row.bytes) } : { key, value: plain(row.value) };
    });
    const asked = rowsAsked(left);
    const wanted = left === undefined || pieces.length < left;
    return { pieces, more: wanted && (rows.length < scanned || scanned === asked) };
  }

  /**
   * A value larger than a chunk (a compaction's snapshot: the whole document), a chunk's bytes a statement, in at most
   * `MAX_SLICES` (PostgreSQL decompresses a stored value from its start for every slice: a 256 MB document in slices of
   * 256 KiB would decompress 128 GB).
   */
  async #readSliced<K>(client: Querier, range: Range<K>, { key, bytes }: Sliced<K>, turn: ReadTurn): Promise<Piece<K>> {
    const value = new Uint8Array(bytes);
    const slice = Math.max(this.chunkBytes, Math.ceil(bytes / MAX_SLICES));
    for (let from = 0; from < bytes; from += slice) {
      turn.check();
      const statement = range.slice(key, from + 1, slice);
      const { rows } = await client.query(statement.text, statement.values);
      const part = rows[0]?.part as Uint8Array | undefined;
      // Gone from the snapshot it was listed in cannot happen; a short slice would be a corrupt value, said so by its reader.
      if (!part) throw new Error(`a value of ${bytes} bytes could not be read back in its snapshot`);
      value.set(part, from);
    }
    return { key, value };
  }

  /**
   * The storage begins to close: answers (loads, lists) under way stop at their next piece, and those waiting for their
   * turn fail when it comes; a write's reads go on (`close`). Closing ends the pool, which waits for every connection
   * checked out: it waited for a long read to read all of its pieces (a large log, one statement and up to a query
   * timeout a piece), and the server's shutdown with it; and a compaction waiting for its turn behind two long loads,
   * which the close waits for, waited for every piece of theirs (test/persistence/h133-close-behind-loads.test.ts).
   */
  stopAnswers(): void {
    this.#stopped = "answer";
  }

  /** The storage's writes have landed: every read stops (`stopAnswers`). */
  close(): void {
    this.#stopped = "write";
  }

  #check(purpose: ReadPurpose): void {
    if (this.#stopped === "write" || this.#stopped === purpose) throw new Error("the storage is closing");
  }

  #turn(): Promise<void> {
    if (this.#running < this.readersAtOnce) {
      this.#running++;
      return Promise.resolve();
    }
    // The slot is handed over by `#done`.
    return new Promise((start, fail) => this.#waiting.push({ start, fail }));
  }

  #done(): void {
    const next = this.#waiting.shift();
    if (next) next.start();
    else this.#running--;
  }

  /**
   * A read `started` then went unanswered. PostgreSQL does not answer when a read sent after an earlier unanswered one
   * (none answered between) goes unanswered too: the reads waiting fail then, rather than one timeout after the other
   * (30 loads, 2 at a time, took 15 timeouts to all fail; unbounded, the pool's waits had taken one). One read alone is
   * not enough: its own statement can outlast the timeout while PostgreSQL answers the others (the loads waiting behind
   * two slow documents failed with them).
   */
  #unanswered(error: Error, started: number): void {
    const now = performance.now();
    // An earlier one counts only if it went unanswered at most one timeout (this read's wait) before this read was sent:
    // one from long ago, nothing answered since, says nothing of PostgreSQL now.
    const since = this.#unansweredSince;
    if (since !== undefined && started - since > now - started) this.#unansweredSince = undefined;
    if (this.#unansweredSince !== undefined && started >= this.#unansweredSince) return this.#failWaiting(error);
    this.#unansweredSince ??= now;
  }

  /** PostgreSQL answered a statement of this storage (a read, or a commit): it is not frozen. */
  answered(): void {
    this.#unansweredSince = undefined;
  }

  #failWaiting(error: Error): void {
    for (const waiting of this.#waiting.splice(0)) waiting.fail(new Error(`another read went unanswered: ${error.message}`, { cause: error }));
  }
}

/** Rows a chunk's scan looks at: `CHUNK_ROWS`, or fewer when fewer are left to read. */
const rowsAsked = (left: number | undefined): number => (left === undefined ? CHUNK_ROWS : Math.min(CHUNK_ROWS, left));
const ignore = (): void => undefined;
