/**
 * One batch of the group committer as one PostgreSQL transaction, fenced: the fences of the batch's rooms are read
 * under `FOR SHARE` (a claim, an UPDATE of the row, waits for this transaction, and every transaction after the claim
 * sees its fence), the operations of rooms whose fence moved are left out and reported, the rest is written with one
 * statement per kind of operation (several, past `STATEMENT_BYTES`), and COMMIT returns only once it is durable. Every statement is idempotent, so a
 * batch whose outcome is unknown can be committed again as it is.
 */
import pg, { type PoolClient } from "pg";
import { fromText, toText } from "./names.js";
import { isTransient } from "./transient.js";

/**
 * One operation of a batch. `room` is the room whose fence it carries (a document's name, or a KV store's room); a
 * fence of -1 is no fence (a store every node writes, claims.ts's `UNFENCED`): it is written without a check.
 */
export type PgOp = { room: string; fence: number } & (
  | { kind: "insert"; seq: number; update: Uint8Array } // a log entry of document `room` (an append or a snapshot)
  | { kind: "remove"; entryFence: number; seq: number; snapshot: SnapshotKey } // a log entry replaced by a snapshot
  | { kind: "drop" } // the whole document
  | { kind: "put"; key: Buffer; value: Uint8Array }
  | { kind: "del"; key: Buffer }
  | { kind: "clear" } // every key of the room
);
/** The snapshot that replaces a removed entry: its key and the md5 of its bytes (hex), as `removeSql` checks it. */
export interface SnapshotKey {
  readonly fence: number;
  readonly seq: number;
  readonly md5: string;
}
type Kind = PgOp["kind"];
type OfKind<K extends Kind> = Extract<PgOp, { kind: K }>;

/** What a commit left out: the rooms refused (and their fence now), the compactions stopped (`removeSql`). */
export interface Committed {
  refused: Map<string, number | undefined>;
  /** Snapshots whose key held other bytes: their insert was skipped, and the entries they replace were kept. */
  stopped: Array<{ room: string; fence: number; seq: number }>;
}

/** Commits `ops` (retried by the caller when it throws a transient error). */
export async function commitBatch(client: PoolClient, ops: readonly PgOp[]): Promise<Committed> {
  const rooms = [...new Set(ops.map((op) => op.room))].map(toText);
  // The usual batches, appends only or key-value puts only, are one statement: one round trip, its own transaction,
  // durable when it returns (a transaction of its four statements made a room.storage.put, and a cron tick's claim,
  // four round trips).
  const single = payloadOf(ops) <= STATEMENT_BYTES ? oneStatement(ops, rooms) : undefined;
  if (single) {
    const { rows } = await client.query<{ name: string; fence: string }>(single).catch((error: unknown) => {
      if (refusedByPostgres(error)) cleanAfter.add(error as object); // the statement's own transaction ended with it
      throw error;
    });
    return { refused: refusedOf(ops, rows), stopped: [] };
  }
  await client.query("BEGIN");
  try {
    const { rows } = await client.query<{ name: string; fence: string }>({ name: "yparty-fences", text: fencesSql, values: [rooms] });
    const refused = refusedOf(ops, rows);
    const stopped: Committed["stopped"] = [];
    for (const layer of layers(ops.filter((op) => !refused.has(op.room)))) {
      for (const [kind, ofKind] of layer) {
        for (const piece of piecesOf(ofKind)) {
          const alone = piece.length === 1 ? writtenAlone(client, piece[0]!) : undefined;
          const { rows: left } = await (alone ?? statements[kind](client, piece as never));
          if (kind === "remove") stopped.push(...left.map((row) => ({ room: fromText(row.doc as string), fence: Number(row.fence), seq: Number(row.seq) })));
        }
      }
    }
    await client.query("COMMIT");
    return { refused, stopped };
  } catch (error) {
    // A lost or unanswered connection is dropped by the caller (PostgreSQL rolls back then): a ROLLBACK would only
    // wait behind the unanswered statement for another timeout.
    if (refusedByPostgres(error) && (await rolledBack(client))) cleanAfter.add(error as object);
    throw error;
  }
}

/**
 * Whether PostgreSQL answered `error` (a refusal of what the batch writes): the connection is then as the statement
 * left it. An error `pg` throws itself (a batch too large to send: its values' text past what a JavaScript string
 * holds) leaves it in a state `pg` misreports: it closes the named statement it was preparing, yet remembers it as
 * sent, and every later batch on that connection failed with 'prepared statement "yparty-fenced-put" does not exist'.
 */
const refusedByPostgres = (error: unknown): boolean => error instanceof pg.DatabaseError && !isTransient(error);

/** Ends the failed transaction on `client`; false if even that failed (the connection is then dropped). */
function rolledBack(client: PoolClient): Promise<boolean> {
  return client.query("ROLLBACK").then(
    () => true,
    () => false,
  );
}

/** Errors of `commitBatch` after which its connection is idle and clean (rolled back): it may serve the next batch. */
const cleanAfter = new WeakSet<object>();

/**
 * Whether the connection `error` came from may be kept: a write PostgreSQL refused for what it writes (split off and
 * retried alone by the group committer) then costs no new connection.
 */
export function leftConnectionClean(error: unknown): boolean {
  return typeof error === "object" && error !== null && cleanAfter.has(error);
}

/**
 * Bytes of keys and values one statement sends at most. `pg` sends an array of `bytea` as hex text, twice the bytes,
 * built in one JavaScript string, which holds at most 2^29 characters: a batch of some 260 MB of values failed as `pg`
 * built it (then was committed again in halves, h122), and one room's share, which cannot be split, never landed.
 * PostgreSQL takes at most 1 GB in a parameter. A larger batch is one transaction of several statements of at most
 * this: as atomic as one statement, its first attempt lands.
 */
export const STATEMENT_BYTES = 16 * 1024 * 1024;

/** The bytes an operation sends: its key and value. */
function payload(op: PgOp): number {
  if (op.kind === "insert") return op.update.byteLength;
  if (op.kind === "put") return op.key.byteLength + op.value.byteLength;
  if (op.kind === "del") return op.key.byteLength;
  return 0;
}
const payloadOf = (ops: readonly PgOp[]): number => ops.reduce((sum, op) => sum + payload(op), 0);

/** `ops` in order, in consecutive pieces of at most `STATEMENT_BYTES` each (or of one larger operation). */
function piecesOf<T extends PgOp>(ops: readonly T[]): T[][] {
  const pieces: T[][] = [];
  let piece: T[] = [];
  let bytes = 0;
  for (const op of ops) {
    if (piece.length > 0 && bytes + payload(op) > STATEMENT_BYTES) {
      pieces.push(piece);
      piece = [];
      bytes = 0;
    }
    piece.push(op);
    bytes += payload(op);
  }
  if (piece.length > 0) pieces.push(piece);
  return pieces;
}

/** Locks the batch's rooms' rows (a claim waits for this transaction; this one sees a claim committed before). */
const fencesSql = "SELECT name, fence FROM rooms WHERE name = ANY($1::text[]) ORDER BY name FOR SHARE";

/** Rooms whose fence moved past the one their operations carry (or that have none), with the fence they have now. */
function refusedOf(ops: readonly PgOp[], rows: ReadonlyArray<{ name: string; fence: string }>): Map<string, number | undefined> {
  const fences = new Map(rows.map((row) => [fromText(row.name), Number(row.fence)]));
  const refused = new Map<string, number | undefined>();
  for (const op of ops) {
    if (op.fence < 0) continue;
    const current = fences.get(op.room);
    if (current === undefined || current > op.fence) refused.set(op.room, current);
  }
  return refused;
}

/**
 * The operations as layers in which each room has one kind of operation, in the room's order: within a layer, rooms
 * commute, so one statement per kind writes them all. A batch of appends (the usual one) is one layer of one kind.
 */
function layers(ops: readonly PgOp[]): Array<Map<Kind, PgOp[]>> {
  const result: Array<Map<Kind, PgOp[]>> = [];
  const position = new Map<string, { layer: number; kind: Kind }>();
  for (const op of ops) {
    const last = position.get(op.room);
    const layer = !last ? 0 : last.kind === op.kind ? last.layer : last.layer + 1;
    position.set(op.room, { layer, kind: op.kind });
    const kinds = (result[layer] ??= new Map());
    const list = kinds.get(op.kind);
    if (list) list.push(op);
    else kinds.set(op.kind, [op]);
  }
  return result;
}

const bytes = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
const roomsOf = (ops: readonly PgOp[]): string[] => ops.map((op) => toText(op.room));

/**
 * Inserts log entries (`rows`: a query of doc, fence, seq, update) and adds what was inserted to each document's ack
 * record (RETURNING: a retried row counts once); the record's end only grows.
 */
const insertCtes = (rows: string): string => `ins AS (
    INSERT INTO doc_updates (doc, fence, seq, update) ${rows}
    ON CONFLICT DO NOTHING
    RETURNING doc, fence, seq, length(update) AS bytes),
  sums AS (SELECT doc, max(ARRAY[fence, seq]) AS last, count(*) AS updates, sum(bytes) AS bytes FROM ins GROUP BY doc),
  acks AS (INSERT INTO doc_acks (doc, fence, seq, updates, bytes)
    SELECT doc, last[1], last[2], updates, bytes FROM sums
    ON CONFLICT (doc) DO UPDATE SET
      fence = CASE WHEN (EXCLUDED.fence, EXCLUDED.seq) > (doc_acks.fence, doc_acks.seq) THEN EXCLUDED.fence ELSE doc_acks.fence END,
      seq = CASE WHEN (EXCLUDED.fence, EXCLUDED.seq) > (doc_acks.fence, doc_acks.seq) THEN EXCLUDED.seq ELSE doc_acks.seq END,
      updates = doc_acks.updates + EXCLUDED.updates,
      bytes = doc_acks.bytes + EXCLUDED.bytes
    RETURNING 1)`;

const insertSql = `WITH ${insertCtes("SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bytea[])")} SELECT count(*) FROM acks`;

/**
 * Appends alone, fenced in the same statement: `f` locks the rooms' rows as the transaction above does, and only the
 * entries of rooms whose fence is still the writer's are inserted. Data-modifying CTEs run to completion whether read
 * or not; the fences come back to tell the refused rooms.
 */
const fencedInsertSql = `WITH f AS (${fencesSql}),
  ${insertCtes("SELECT e.* FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bytea[]) AS e(doc, fence, seq, update) JOIN f ON f.name = e.doc AND f.fence <= e.fence")}
  SELECT name, fence FROM f`;

const insertColumns = (ops: ReadonlyArray<OfKind<"insert">>): unknown[] => [
  roomsOf(ops),
  ops.map((op) => op.fence),
  ops.map((op) => op.seq),
  ops.map((op) => bytes(op.update)),
];

/**
 * Removes entries a snapshot replaces, only where that snapshot is stored (its key holds its bytes): an insert whose key
 * was taken is skipped (\`ON CONFLICT DO NOTHING\`), and the entries must then stay. Each snapshot is hashed once.
 * Returns the snapshots that did not land (their compaction stopped).
 */
const removeSql = `WITH landed AS (
    SELECT s.doc, s.fence, s.seq FROM doc_updates s
    JOIN unnest($4::text[], $5::bigint[], $6::bigint[], $7::text[]) AS l(doc, fence, seq, md5)
      ON s.doc = l.doc AND s.fence = l.fence AND s.seq = l.seq
    WHERE md5(s.update) = l.md5),
  del AS (
    DELETE FROM doc_updates d USING unnest($1::text[], $2::bigint[], $3::bigint[], $8::bigint[], $9::bigint[]) AS k(doc, fence, seq, sfence, sseq)
    WHERE d.doc = k.doc AND d.fence = k.fence AND d.seq = k.seq
      AND EXISTS (SELECT 1 FROM landed WHERE landed.doc = k.doc AND landed.fence = k.sfence AND landed.seq = k.sseq)
    RETURNING d.doc, length(d.update) AS bytes),
  sums AS (SELECT doc, count(*) AS updates, sum(bytes) AS bytes FROM del GROUP BY doc),
  counted AS (UPDATE doc_acks a SET updates = a.updates - s.updates, bytes = a.bytes - s.bytes FROM sums s WHERE a.doc = s.doc)
  SELECT l.doc, l.fence, l.seq FROM unnest($4::text[], $5::bigint[], $6::bigint[]) AS l(doc, fence, seq)
  WHERE NOT EXISTS (SELECT 1 FROM landed WHERE landed.doc = l.doc AND landed.fence = l.fence AND landed.seq = l.seq)`;

/** One statement cannot upsert a row twice: the last put of each key wins, as it would in order. */
function lastPuts(ops: ReadonlyArray<OfKind<"put">>): Array<OfKind<"put">> {
  return [...new Map(ops.map((op) => [`${op.room}\u0000${op.key.toString("hex")}`, op])).values()];
}

const upsert = "ON CONFLICT (room, key) DO UPDATE SET value = EXCLUDED.value";

/**
 * Puts alone, fenced in the same statement as appends are (`fencedInsertSql`): only the puts of rooms whose fence is
 * still the writer's, or of a store every node writes (fence -1: no row to check), are written.
 */
const fencedPutSql = `WITH f AS (${fencesSql}),
  put AS (INSERT INTO room_kv (room, key, value)
    SELECT e.room, e.key, e.value FROM unnest($2::text[], $3::bigint[], $4::bytea[], $5::bytea[]) AS e(room, fence, key, value)
    WHERE e.fence < 0 OR EXISTS (SELECT 1 FROM f WHERE f.name = e.room AND f.fence <= e.fence)
    ${upsert})
  SELECT name, fence FROM f`;

/**
 * A log entry or put past `STATEMENT_BYTES` (a large document's snapshot), written by a statement of its own whose value
 * is one parameter: `pg` sends a `Buffer` parameter as binary, its bytes as they are, where an array of them is hex text
 * in one string (more characters than a string holds past ~256 MiB; PostgreSQL takes up to 1 GB). `undefined` for
 * anything else, written with its kind's statement.
 */
function writtenAlone(client: PoolClient, op: PgOp): Promise<pg.QueryResult> | undefined {
  if (payload(op) <= STATEMENT_BYTES) return undefined;
  if (op.kind === "insert") return client.query(insertOneSql, [toText(op.room), op.fence, op.seq, bytes(op.update)]);
  if (op.kind === "put") return client.query(putOneSql, [toText(op.room), op.key, bytes(op.value)]);
  return undefined;
}

const insertOneSql = `WITH ${insertCtes("SELECT $1::text, $2::bigint, $3::bigint, $4::bytea")} SELECT count(*) FROM acks`;
const putOneSql = `INSERT INTO room_kv (room, key, value) VALUES ($1::text, $2::bytea, $3::bytea) ${upsert}`;

/** The batch as one statement, when it is of appends only or of puts only. */
function oneStatement(ops: readonly PgOp[], rooms: string[]): { name: string; text: string; values: unknown[] } | undefined {
  // Named: prepared once per connection, not parsed and planned for every batch.
  if (ops.every((op) => op.kind === "insert")) {
    return { name: "yparty-fenced-append", text: fencedInsertSql, values: [rooms, ...insertColumns(ops as Array<OfKind<"insert">>)] };
  }
  if (ops.every((op) => op.kind === "put")) {
    const puts = lastPuts(ops as Array<OfKind<"put">>);
    const values = [rooms, roomsOf(puts), puts.map((op) => op.fence), puts.map((op) => op.key), puts.map((op) => bytes(op.value))];
    return { name: "yparty-fenced-put", text: fencedPutSql, values };
  }
  return undefined;
}

const statements: { [K in Kind]: (client: PoolClient, ops: Array<OfKind<K>>) => Promise<pg.QueryResult> } = {
  insert: (client, ops) => client.query({ name: "yparty-append", text: insertSql, values: insertColumns(ops) }),
  remove: (client, ops) => {
    const snapshots = [...new Map(ops.map((op) => [`${op.room}\u0000${op.snapshot.fence}:${op.snapshot.seq}`, op])).values()];
    return client.query(removeSql, [
      roomsOf(ops),
      ops.map((op) => op.entryFence),
      ops.map((op) => op.seq),
      roomsOf(snapshots),
      snapshots.map((op) => op.snapshot.fence),
      snapshots.map((op) => op.snapshot.seq),
      snapshots.map((op) => op.snapshot.md5),
      ops.map((op) => op.snapshot.fence),
      ops.map((op) => op.snapshot.seq),
    ]);
  },
  drop: (client, ops) => {
    const docs = roomsOf(ops);
    return client.query("WITH gone AS (DELETE FROM doc_updates WHERE doc = ANY($1::text[])) DELETE FROM doc_acks WHERE doc = ANY($1::text[])", [docs]);
  },
  put: (client, ops) => {
    const puts = lastPuts(ops);
    return client.query(`INSERT INTO room_kv (room, key, value) SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[]) ${upsert}`, [
      roomsOf(puts),
      puts.map((op) => op.key),
      puts.map((op) => bytes(op.value)),
    ]);
  },
  del: (client, ops) =>
    client.query("DELETE FROM room_kv r USING unnest($1::text[], $2::bytea[]) AS k(room, key) WHERE r.room = k.room AND r.key = k.key", [
      roomsOf(ops),
      ops.map((op) => op.key),
    ]),
  clear: (client, ops) => client.query("DELETE FROM room_kv WHERE room = ANY($1::text[])", [roomsOf(ops)]),
};
