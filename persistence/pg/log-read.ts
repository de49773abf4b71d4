/**
 * Reads a document's log (`doc_updates`) and its ack record (`doc_acks`) as one snapshot, in bounded pieces. `pg`
 * parses every row that arrived in one turn of the event loop (its protocol parser, and the hex text of `bytea`, twice
 * the bytes): a node taking over many rooms read their whole logs at once, ten connections' answers arrived together,
 * and their parse held its loop 30–135 ms a turn, lease renewals and every other room with it (docs/persistence.md,
 * "Loading in bounded pieces"). So each statement reads at most `chunkBytes` of entries (and the entry that crosses
 * that, if no larger; a larger one is read in slices), and at most `readersAtOnce` reads run at once per storage: a
 * turn parses at most that many chunks.
 *
 * A log that fits one chunk (most) is one statement, as before. A longer one is read again from its start in a
 * read-only REPEATABLE READ transaction, one statement a chunk or slice: one snapshot, the entries and the ack record as
 * the same commit left them, whatever commits meanwhile.
 */
import type { Pool, PoolClient } from "pg";
import { readError } from "../errors.js";
import { toText } from "./names.js";
import { isUnanswered } from "./transient.js";

/** Bytes of entries one statement reads at most (twice that with the entry that crosses it): 0.5–1 MB of text to parse. */
export const LOG_CHUNK_BYTES = 256 * 1024;
/** Reads of logs under way at once, per storage (fewer with a smaller pool: a commit always finds a connection). */
export const LOG_READERS_AT_ONCE = 2;
/** Entries one statement looks at at most (the byte bound is applied to these): bounds its scan of a long log. */
const CHUNK_ROWS = 1_000;
/** Statements an entry larger than a chunk is read in at most (past 4 MB, its slices are larger than a chunk). */
const MAX_SLICES = 16;
/** Below every key: the first chunk's "after". */
const FIRST: readonly [string, string] = ["-9223372036854775808", "-9223372036854775808"];

export interface StoredEntry {
  fence: number;
  seq: number;
  update: Uint8Array;
}

export interface AckRecord {
  fence: number;
  seq: number;
  updates: number;
}

export interface StoredLog {
  entries: StoredEntry[];
  /** `undefined`: the document has none (never written, or its record is gone). */
  ack: AckRecord | undefined;
}

/**
 * The entries after `(fence, seq)` $2, $3 starting within $4 bytes of the first; `scanned`: how many were looked at.
 * An entry larger than $4 comes without its bytes (`update` NULL, `bytes` its size): it is read in slices.
 */
const chunkSql = `SELECT fence, seq, CASE WHEN bytes <= $4 THEN update END AS update, bytes, scanned FROM (
    SELECT fence, seq, update, length(update) AS bytes, count(*) OVER () AS scanned,
      sum(length(update)) OVER (ORDER BY fence, seq ROWS UNBOUNDED PRECEDING) - length(update) AS before
    FROM (SELECT fence, seq, update FROM doc_updates WHERE doc = $1 AND (fence, seq) > ($2::bigint, $3::bigint)
          ORDER BY fence, seq LIMIT ${CHUNK_ROWS}) scan
  ) chunk WHERE before < $4 ORDER BY fence, seq`;

/** $4 bytes of one entry from byte $3 (1-based). */
const sliceSql = "SELECT substring(update FROM $4::int FOR $5::int) AS part FROM doc_updates WHERE doc = $1 AND fence = $2 AND seq = $3";

/** The first chunk with the ack record, in one statement (one snapshot); the ack row comes last. */
const firstChunkSql = `SELECT fence, seq, update, bytes, scanned, NULL::bigint AS updates FROM (${chunkSql}) first
  UNION ALL SELECT fence, seq, NULL, NULL, NULL, updates FROM doc_acks WHERE doc = $1
  ORDER BY updates NULLS FIRST, fence, seq`;

type Row = Record<string, unknown>;

/** pg hands out Buffers; callers get plain Uint8Arrays, as from the other engines. */
const plain = (bytes: unknown): Uint8Array => {
  const buffer = bytes as Uint8Array;
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
};

/** An entry read in slices: its key and size, its bytes still to read. */
interface Sliced {
  fence: number;
  seq: number;
  bytes: number;
}

/** A chunk's entries (those too large for one statement without their bytes yet), and whether the log goes on past them. */
function chunkOf(rows: Row[]): { entries: Array<StoredEntry | Sliced>; more: boolean } {
  const scanned = rows.length === 0 ? 0 : Number(rows[0]!.scanned);
  const entries = rows.map((row) => {
    const key = { fence: Number(row.fence), seq: Number(row.seq) };
    return row.update === null ? { ...key, bytes: Number(row.bytes) } : { ...key, update: plain(row.update) };
  });
  return { entries, more: rows.length < scanned || scanned === CHUNK_ROWS };
}

const isWhole = (entry: StoredEntry | Sliced): entry is StoredEntry => "update" in entry;

export class LogReader {
  /** Reads waiting for a turn to run, first come first served. */
  readonly #waiting: Array<{ start(): void; fail(error: unknown): void }> = [];
  #running = 0;
  /** When a read went unanswered, none being answered since: PostgreSQL may be frozen, or that read alone slow. */
  #unansweredSince: number | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly location: string,
    private readonly readersAtOnce: number,
    private readonly chunkBytes = LOG_CHUNK_BYTES,
  ) {}

  /** The document's log and ack record; rejects with ERR_STORAGE_READ naming `subject`. */
  async read(subject: string, room: string): Promise<StoredLog> {
    try {
      await this.#turn();
    } catch (error) {
      throw readError(subject, this.location, error);
    }
    const started = performance.now();
    try {
      const log = await this.#read(toText(room));
      this.answered();
      return log;
    } catch (error) {
      if (isUnanswered(error)) this.#unanswered(error as Error, started);
      throw readError(subject, this.location, error);
    } finally {
      this.#done();
    }
  }

  async #read(doc: string): Promise<StoredLog> {
    const { rows } = await this.pool.query(firstChunkSql, [doc, ...FIRST, this.chunkBytes]);
    const ackRow = rows.at(-1)?.updates == null ? undefined : rows.pop()!;
    const first = chunkOf(rows);
    if (!first.more && first.entries.every(isWhole)) return { entries: first.entries, ack: ackRow && ackOf(ackRow) };
    return this.#readInSnapshot(doc);
  }

  /** The whole log, a chunk a statement, in one read-only snapshot on one connection. */
  async #readInSnapshot(doc: string): Promise<StoredLog> {
    const client = await this.pool.connect();
    // A checked-out client whose connection is cut emits "error", which nothing else listens to (the process would
    // die of it); the statement under way rejects with it too, which is what fails the read.
    client.on("error", ignore);
    let failed: Error | undefined;
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const { rows: acks } = await client.query("SELECT fence, seq, updates FROM doc_acks WHERE doc = $1", [doc]);
      const entries: StoredEntry[] = [];
      let after: readonly [unknown, unknown] = FIRST;
      for (let more = true; more; ) {
        const chunk = chunkOf((await client.query(chunkSql, [doc, ...after, this.chunkBytes])).rows);
        for (const entry of chunk.entries) entries.push(isWhole(entry) ? entry : await this.#readSliced(client, doc, entry));
        more = chunk.more;
        const last = chunk.entries.at(-1);
        if (last) after = [last.fence, last.seq];
      }
      await client.query("COMMIT");
      return { entries, ack: acks[0] && ackOf(acks[0]) };
    } catch (error) {
      failed = error as Error;
      throw error;
    } finally {
      client.off("error", ignore);
      client.release(failed); // a connection that failed half-way (its transaction open, or cut) is not reused
    }
  }

  /**
   * An entry larger than a chunk (a compaction's snapshot: the whole document), a chunk's bytes a statement, in at
   * most `MAX_SLICES` (PostgreSQL decompresses a stored value from its start for every slice: a 256 MB document in
   * slices of 256 KiB would decompress 128 GB).
   */
  async #readSliced(client: PoolClient, doc: string, { fence, seq, bytes }: Sliced): Promise<StoredEntry> {
    const update = new Uint8Array(bytes);
    const slice = Math.max(this.chunkBytes, Math.ceil(bytes / MAX_SLICES));
    for (let from = 0; from < bytes; from += slice) {
      const { rows } = await client.query(sliceSql, [doc, fence, seq, from + 1, slice]);
      const part = rows[0]?.part as Uint8Array | undefined;
      // Gone from the snapshot it was listed in cannot happen; a short slice would be a corrupt entry, said so by the merge.
      if (!part) throw new Error(`entry (${fence}:${seq}) of ${doc} could not be read back in its snapshot`);
      update.set(part, from);
    }
    return { fence, seq, update };
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

const ackOf = (row: Row): AckRecord => ({ fence: Number(row.fence), seq: Number(row.seq), updates: Number(row.updates) });
const ignore = (): void => undefined;
