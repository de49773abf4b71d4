/**
 * The tables of the PostgreSQL engine and their migrations. `yparty_schema.version` says which migrations ran; each
 * storage that opens runs the missing ones in one transaction under an advisory lock, so nodes starting together
 * migrate once. docs/persistence.md ("PostgreSQL") describes each table.
 */
import type { PoolClient } from "pg";
import { reencodedKey } from "../kv-codec.js";
import { StorageError } from "../types.js";

/**
 * Migration n (1-based) brings the schema from version n-1 to n: SQL, or a step run on the migrating transaction's
 * client. Append only: never edit a released one.
 */
const migrations: ReadonlyArray<string | ((client: PoolClient) => Promise<void>)> = [
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

/** Rows one statement of the re-keying moves at most (values can be 128 KiB: memory stays within some 64 MB). */
const REENCODE_BATCH = 500;

/**
 * Rewrites the `room_kv` keys holding a UTF-16 unit from U+D800 up (a 4-hex-digit unit starting d8–ff) under
 * `encodeKey`'s bytes. The rows are first moved aside in one statement (a lone surrogate's old key can be another's
 * new one, and a re-keyed row matches the same pattern), then read back through a cursor and inserted a batch per
 * statement: memory stays bounded and the migration quick however many rows move (it holds every other node's start).
 */
async function reencodeKvKeys(client: PoolClient): Promise<void> {
  await client.query(
    "CREATE TEMP TABLE yparty_kv_reencode ON COMMIT DROP AS WITH moved AS " +
      "(DELETE FROM room_kv WHERE encode(key, 'hex') ~ '^(....)*(d[89a-f]|[ef].)' RETURNING room, key, value) SELECT * FROM moved",
  );
  await client.query("DECLARE yparty_kv_reencode_rows NO SCROLL CURSOR FOR SELECT room, key, value FROM yparty_kv_reencode");
  for (;;) {
    const { rows } = await client.query<{ room: string; key: Buffer; value: Buffer }>(`FETCH ${REENCODE_BATCH} FROM yparty_kv_reencode_rows`);
    if (rows.length === 0) break;
    await client.query("INSERT INTO room_kv (room, key, value) SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[])", [
      rows.map((row) => row.room),
      rows.map((row) => reencodedKey(row.key) ?? row.key),
      rows.map((row) => row.value),
    ]);
  }
  await client.query("CLOSE yparty_kv_reencode_rows");
}

/** The version this code writes. */
export const schemaVersion = migrations.length;

/** Creates or migrates the tables; refuses a database written by a newer yparty. */
export async function migrate(client: PoolClient, location: string): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('yparty:migrate'))");
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
      await (typeof migration === "string" ? client.query(migration) : migration(client));
    }
    if (rows.length === 0) await client.query("INSERT INTO yparty_schema (version) VALUES ($1)", [schemaVersion]);
    else if (current < schemaVersion) await client.query("UPDATE yparty_schema SET version = $1", [schemaVersion]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
