/**
 * Reads a document's log (`doc_updates`) and its ack record (`doc_acks`) as one snapshot, in bounded pieces
 * (bounded-read.ts). A log that fits one chunk (most) is one statement, with its ack record. A longer one is read again
 * from its start in a read-only REPEATABLE READ transaction: the entries and the ack record as the same commit left
 * them, whatever commits meanwhile.
 */
import { type BoundedReads, chunkSql as boundedChunkSql, type Range, type ReadPurpose, type Row } from "./bounded-read.js";
import { toText } from "./names.js";

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

type EntryKey = readonly [fence: number, seq: number];
/** Below every key (bigint's least): the first chunk's "after". */
const FIRST = ["-9223372036854775808", "-9223372036854775808"] as const;

/** The log of `doc` (as stored: `toText`) in key order, a chunk a statement. */
function logRange(doc: string): Range<EntryKey> {
  return {
    chunk: (after, chunkBytes, rows) => ({
      text: chunkSql(rows),
      values: [doc, ...(after ?? FIRST), chunkBytes],
    }),
    slice: ([fence, seq], from, length) => ({
      text: "SELECT substring(update FROM $4::int FOR $5::int) AS part FROM doc_updates WHERE doc = $1 AND fence = $2 AND seq = $3",
      values: [doc, fence, seq, from, length],
    }),
    keyOf: (row) => [Number(row.fence), Number(row.seq)],
  };
}

/** The entries after `(fence, seq)` $2, $3 starting within $4 bytes of the first, of `rows` looked at. */
const chunkSql = (rows: number): string =>
  boundedChunkSql(
    "fence, seq",
    "fence, seq",
    `SELECT fence, seq, update AS value FROM doc_updates WHERE doc = $1 AND (fence, seq) > ($2::bigint, $3::bigint) ORDER BY fence, seq LIMIT ${rows}`,
    "$4",
  );

/** The first chunk with the ack record, in one statement (one snapshot); the ack row comes last. */
const withAck = (chunk: string): string => `SELECT fence, seq, value, bytes, scanned, NULL::bigint AS updates FROM (${chunk}) first
  UNION ALL SELECT fence, seq, NULL, NULL, NULL, updates FROM doc_acks WHERE doc = $1
  ORDER BY updates NULLS FIRST, fence, seq`;

/** The document's log and ack record, in `reads`' turn; rejects with ERR_STORAGE_READ naming `subject`. */
export function readLog(reads: BoundedReads, subject: string, room: string, purpose: ReadPurpose): Promise<StoredLog> {
  const doc = toText(room);
  const range = logRange(doc);
  return reads.run(subject, purpose, async (turn) => {
    const first = reads.firstStatement(range);
    const { rows } = await reads.pool.query(withAck(first.text), first.values);
    const ackRow = rows.at(-1)?.updates == null ? undefined : rows.pop()!;
    const whole = reads.firstChunk(rows, range);
    if (whole) return { entries: whole.map(entryOf), ack: ackRow && ackOf(ackRow) };
    return reads.inSnapshot(async (client) => {
      const { rows: acks } = await client.query("SELECT fence, seq, updates FROM doc_acks WHERE doc = $1", [doc]);
      const entries = (await reads.all(client, range, turn)).map(entryOf);
      return { entries, ack: acks[0] && ackOf(acks[0]) };
    });
  });
}

const entryOf = ({ key: [fence, seq], value }: { key: EntryKey; value: Uint8Array }): StoredEntry => ({ fence, seq, update: value });
const ackOf = (row: Row): AckRecord => ({ fence: Number(row.fence), seq: Number(row.seq), updates: Number(row.updates) });
