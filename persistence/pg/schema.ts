/**
 * The tables of the PostgreSQL engine and their migrations. `yparty_schema.version` says which migrations ran; each
 * storage that opens runs the missing ones in one transaction under an advisory lock, so nodes starting together
 * migrate once. docs/persistence.md ("PostgreSQL") describes each table.
 */
import type { PoolClient } from "pg";
import { reencodedKey } from "../kv-codec.js";
import { counted, percentOf, startProgress, type OnStorageProgress, type Progress } from "../progress.js";
import { StorageError } from "../types.js";
import { takeMigrationLock } from "./migration-lock.js";

/**
 * Migration n (1-based) brings the schema from version n-1 to n: SQL, or a step run on the migrating transaction's
 * client. Append only: never edit a released one.
 */
const migrations: ReadonlyArray<string | ((client: PoolClient, context: StepContext) => Promise<StepDone | undefined>)> = [
  `CREATE TABLE rooms (
     name       text COLLATE "C" PRIMARY KEY,
     fence      bigint NOT NULL,
     owner      text NOT NULL,
     claimed_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE TABLE doc_updates (
     doc    text COLLATE "C" NOT NULL,
     fence  bigint NOT NULL,
     seq    bigint NOT NULL,
     update bytea NOT NULL,
     PRIMARY KEY (doc, fence, seq)
   );
   CREATE TABLE doc_acks (
     doc     text COLLATE "C" PRIMARY KEY,
     fence   bigint NOT NULL,
     seq     bigint NOT NULL,
     updates bigint NOT NULL,
     bytes   bigint NOT NULL,
     damaged jsonb
   );
   CREATE TABLE room_kv (
     room  text COLLATE "C" NOT NULL,
     key   bytea NOT NULL,
     value bytea NOT NULL,
     PRIMARY KEY (room, key)
   );`,
  // 2: room_kv keys in Durable Objects' order (kv-codec.ts's `encodeKey`), not plain UTF-16 BE.
  reencodeKvKeys,
];

/** What a migration step is given: where it runs, where its long work is reported, and its statements' timeout. */
interface StepContext {
  location: string;
  onProgress: OnStorageProgress | undefined;
  queryTimeoutMs: number;
}

/** A step that had work to do: its reporter, and its last line (said once the migration committed). */
interface StepDone {
  progress: Progress;
  summary: (took: string) => string;
}

/** Rows of `room_kv` one statement of the re-keying goes through at most (key-ordered: an index range). */
const REENCODE_SCAN = 2_000;
/** Rows one statement of the re-keying puts back at most (their keys only pass through JavaScript: at most ~4 MB). */
const REENCODE_BATCH = 500;
/** Rows the first statement of each step of the re-keying takes, before `Pace` knows what a row costs. */
const FIRST_ROWS = 100;

/**
 * How many rows the next statement of a step takes: as many as the last ones suggest fit in a tenth of the query
 * timeout (at most twice as many as the last), from FIRST_ROWS up to `most`. What a row costs is the database's: its
 * table's size and indexes, its disk. A fixed count (2,000 rows) was one statement past a short timeout on a table whose
 * deletes cost 0.1 ms a row, and the migration failed at every start ("Query read timeout").
 */
class Pace {
  #rows: number;
  constructor(
    private readonly targetMs: number,
    private readonly most: number,
  ) {
    this.#rows = Math.min(most, FIRST_ROWS);
  }
  get rows(): number {
    return this.#rows;
  }
  /** Runs `statements`, which go through the rows it resolves with, and sizes the next run by how long they took. */
  async run<T>(statements: () => Promise<{ rows: number; result: T }>): Promise<T> {
    const started = performance.now();
    const { rows, result } = await statements();
    const fitting = (rows * this.targetMs) / Math.max(1, performance.now() - started);
    this.#rows = Math.max(1, Math.min(this.most, this.#rows * 2, Math.floor(fitting)));
    return result;
  }
}
/**
 * Bytes of values one statement of the re-keying may copy per ms of the query timeout: a tenth of the timeout on a disk
 * that copies 100 MB/s. Bounded by rows alone, 2,000 values of 2 MB (or of 512 KB under a 1.5 s timeout) were one
 * statement past the timeout: the migration failed at every start ("Query read timeout").
 */
const REENCODE_BYTES_PER_MS = 10_000;
/** The bytes one statement of the re-keying copies at most under `queryTimeoutMs` (at least one row each, whatever its size). */
const reencodeBytes = (queryTimeoutMs: number): number => Math.min(64 * 2 ** 20, Math.max(2 ** 16, queryTimeoutMs * REENCODE_BYTES_PER_MS));

/** The keys to re-key: those holding a UTF-16 unit from U+D800 up (a 4-hex-digit unit starting d8–ff). */
const OLD_KEY = "encode(key, 'hex') ~ '^(....)*(d[89a-f]|[ef].)'";

/**
 * Rewrites the `room_kv` keys holding a UTF-16 unit from U+D800 up under `encodeKey`'s bytes. The rows are first
 * moved aside (a lone surrogate's old key can be another's new one, and a re-keyed row matches the same pattern), a
 * key range per statement, then their keys read back through a cursor and the rows inserted a batch per statement,
 * their values copied within PostgreSQL (through JavaScript, a batch's values were one string of hex text, past what a
 * string holds with 500 values of 600 KB: the migration failed at every start). Each statement takes as many rows as
 * fit a tenth of the query timeout (`Pace`) and at most `reencodeBytes` of values (their sizes read from PostgreSQL's
 * TOAST headers, not the values), so it stays well within the timeout, and memory stays bounded, however many rows
 * there are, however large their values (the whole step holds every other node's start; they wait on the lock, not on a statement:
 * `takeMigrationLock`).
 */
async function reencodeKvKeys(client: PoolClient, { location, onProgress, queryTimeoutMs }: StepContext): Promise<StepDone | undefined> {
  const { rows: sizes } = await client.query<{ stored: boolean; estimate: string }>(
    "SELECT EXISTS (SELECT 1 FROM room_kv) AS stored, (SELECT reltuples FROM pg_class WHERE oid = 'room_kv'::regclass)::bigint AS estimate",
  );
  // A new database, or one without room data: nothing to move, nothing to say.
  if (!sizes[0]!.stored) return undefined;
  // PostgreSQL's estimate (from its last vacuum or analyze; -1: none yet): counting the rows would read them all.
  const estimate = Number(sizes[0]!.estimate) > 0 ? Number(sizes[0]!.estimate) : undefined;
  const progress = startProgress(
    onProgress,
    "upgrade",
    location,
    `Migrating ${location} from yparty schema 1 to 2 (room_kv keys into Durable Objects' order), once, before the server ` +
      `listens${estimate === undefined ? "" : `: about ${counted(estimate)} rows to go through`}; other nodes starting meanwhile wait for it. ` +
      "Stopping it meanwhile loses nothing: the migration is one transaction, the next start runs it again",
  );
  const report = (message: string, percent: number | undefined) => progress.report({ message: `Migrating ${location}: ${message}`, percent });

  await client.query('CREATE TEMP TABLE yparty_kv_reencode (room text COLLATE "C", key bytea, value bytea) ON COMMIT DROP');
  let read = 0;
  let moved = 0;
  // Key-ordered chunks: the first from the lowest possible key, each next one after the last key of the one before.
  let after: [string, Buffer] = ["", Buffer.alloc(0)];
  const budget = reencodeBytes(queryTimeoutMs);
  const targetMs = queryTimeoutMs / 10;
  const aside = new Pace(targetMs, REENCODE_SCAN);
  for (let first = true; ; first = false) {
    const from = `(room, key) ${first ? ">=" : ">"} ($1, $2)`;
    const limit = aside.rows;
    const last = await aside.run(async () => {
      // The chunk: the first `limit` rows from `after` on, cut where the values it moves pass `budget` (its first row
      // whatever its size); `scanned` says whether the range ends there.
      const { rows } = await client.query<{ room: string; key: Buffer; rows: string; scanned: string }>(
        "SELECT room, key, rows, scanned FROM (SELECT room, key, row_number() OVER w AS rows, count(*) OVER () AS scanned, " +
          `sum(CASE WHEN ${OLD_KEY} THEN octet_length(value) ELSE 0 END) OVER w AS bytes ` +
          `FROM (SELECT room, key, value FROM room_kv WHERE ${from} ORDER BY room, key LIMIT ${limit}) scan ` +
          "WINDOW w AS (ORDER BY room, key ROWS UNBOUNDED PRECEDING)) chunk WHERE bytes <= $3 OR rows = 1 ORDER BY room DESC, key DESC LIMIT 1",
        [...after, budget],
      );
      const chunk = rows[0];
      if (!chunk) return { rows: 0, result: undefined };
      const movedNow = await client.query(
        `WITH moved AS (DELETE FROM room_kv WHERE ${from} AND (room, key) <= ($3, $4) AND ${OLD_KEY} RETURNING room, key, value) ` +
          "INSERT INTO yparty_kv_reencode SELECT room, key, value FROM moved",
        [...after, chunk.room, chunk.key],
      );
      moved += movedNow.rowCount ?? 0;
      return { rows: Number(chunk.rows), result: chunk };
    });
    if (!last) break;
    read += Number(last.rows);
    after = [last.room, last.key];
    if (progress.due()) report(`step 1 of 2, ${counted(read)} rows read, ${counted(moved)} set aside`, percentOf(read, estimate));
    if (Number(last.scanned) < limit && last.rows === last.scanned) break;
  }

  // Each row by its place in the table (ctid, unchanged: the table is only inserted into), found by a TID scan.
  await client.query(
    "DECLARE yparty_kv_reencode_rows NO SCROLL CURSOR FOR SELECT ctid::text AS row, key, octet_length(value) AS bytes FROM yparty_kv_reencode",
  );
  let back = 0;
  const putBack = new Pace(targetMs, REENCODE_BATCH);
  for (let done = false; !done; ) {
    await putBack.run(async () => {
      const { rows } = await client.query<{ row: string; key: Buffer; bytes: number }>(`FETCH ${putBack.rows} FROM yparty_kv_reencode_rows`);
      done = rows.length === 0;
      for (const batch of withinBytes(rows, budget)) {
        await client.query(
          "INSERT INTO room_kv (room, key, value) SELECT r.room, m.key, r.value FROM yparty_kv_reencode r " +
            "JOIN unnest($1::tid[], $2::bytea[]) AS m(row, key) ON r.ctid = m.row WHERE r.ctid = ANY($1::tid[])",
          [batch.map((row) => row.row), batch.map((row) => reencodedKey(row.key) ?? row.key)],
        );
        back += batch.length;
        if (progress.due()) report(`step 2 of 2, ${counted(back)} of ${counted(moved)} rows put back under their new keys`, percentOf(back, moved));
      }
      return { rows: rows.length, result: undefined };
    });
  }
  await client.query("CLOSE yparty_kv_reencode_rows");
  return { progress, summary: (took) => `Migrated ${location} to yparty schema 2 in ${took}: ${counted(read)} rows read, ${counted(moved)} re-keyed` };
}

/** `rows` cut, in order, into runs whose `bytes` add up to at most `budget` (a row larger alone is a run of its own). */
function withinBytes<T extends { bytes: number }>(rows: T[], budget: number): T[][] {
  const runs: T[][] = [];
  let bytes = Number.POSITIVE_INFINITY;
  for (const row of rows) {
    if (bytes + row.bytes > budget) {
      runs.push([]);
      bytes = 0;
    }
    runs.at(-1)!.push(row);
    bytes += row.bytes;
  }
  return runs;
}

/** The version this code writes. */
export const schemaVersion = migrations.length;

export interface MigrateOptions {
  /** The client's query timeout: a wait for another node's migration is cut into waits well within it. */
  queryTimeoutMs: number;
  onProgress?: OnStorageProgress | undefined;
}

/**
 * Creates or migrates the tables; refuses a database written by a newer yparty. A migration with work to do is
 * reported (started, progress, done once committed), and so is a wait for another node's.
 */
export async function migrate(client: PoolClient, location: string, { queryTimeoutMs, onProgress }: MigrateOptions): Promise<void> {
  const done: StepDone[] = [];
  await client.query("BEGIN");
  try {
    // The server gives up a statement when the client does: pg's query_timeout only stops waiting, and a statement
    // left running held the migration lock (and its rows) after the start had failed, until it ended by itself.
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(queryTimeoutMs))}`);
    await takeMigrationLock(client, location, queryTimeoutMs, onProgress);
    await client.query("CREATE TABLE IF NOT EXISTS yparty_schema (version integer NOT NULL)");
    const { rows } = await client.query<{ version: number }>("SELECT version FROM yparty_schema");
    const current = rows[0]?.version ?? 0;
    if (current > schemaVersion) {
      throw new StorageError(
        "ERR_STORAGE_READ",
        `${location} holds yparty schema version ${current}, newer than this yparty's (${schemaVersion}): upgrade yparty`,
      );
    }
    for (let version = current + 1; version <= schemaVersion; version++) {
      const migration = migrations[version - 1]!;
      if (typeof migration === "string") await client.query(migration);
      else {
        const step = await migration(client, { location, onProgress, queryTimeoutMs });
        if (step) done.push(step);
      }
    }
    if (rows.length === 0) await client.query("INSERT INTO yparty_schema (version) VALUES ($1)", [schemaVersion]);
    else if (current < schemaVersion) await client.query("UPDATE yparty_schema SET version = $1", [schemaVersion]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
  for (const { progress, summary } of done) progress.done(summary);
}
