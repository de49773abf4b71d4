/**
 * Reading what a document's records say against what its log holds (rules in ack-record.ts): used by every load,
 * by the storage when it opens (for the documents the ack journal names) and by `yparty doctor` / `yparty repair`.
 */
import { checkJournaled, checkRecord, damageMarkOp, decodeDamage, decodeLogEnd, endOf, type Damage, type LogEnd } from "./ack-record.js";
import type { BatchOp, ByteDb } from "./byte-db.js";
import { defaults } from "./defaults.js";
import * as keys from "./doc-keys.js";
import { eachLimited } from "./each-limited.js";
import type { LogEntry } from "./merge.js";

/** yparty's metadata of one document. */
export interface DocMeta {
  seal?: Uint8Array;
  acked?: LogEnd;
  /** A damage found before and not yet accepted. */
  damage?: Damage;
}

/** One range read of the document's metadata space. */
export async function readMeta(db: ByteDb, name: string): Promise<DocMeta> {
  return metaOf(name, await db.iterator(keys.metaRange(name)).all());
}

/**
 * A document's log and yparty's metadata in one range read: every key of a document lies under `['v1', name]`, the
 * metadata's before the log's. A load reads both; one read is one trip through the thread pool instead of two.
 */
export async function readDocument(db: ByteDb, name: string): Promise<{ entries: LogEntry[]; meta: DocMeta }> {
  const all = await db.iterator(keys.documentRange(name)).all();
  const log = keys.logRange(name);
  const entries = all.filter(([key]) => Buffer.compare(key, log.gte) >= 0 && Buffer.compare(key, log.lt) < 0).map(logEntryOf);
  return { entries, meta: metaOf(name, all) };
}

/** A log entry as read: LevelDB hands out Buffers; callers get plain Uint8Arrays, as from the memory engine. */
export const logEntryOf = ([key, value]: readonly [Uint8Array, Uint8Array]): LogEntry => ({
  clock: keys.clockOfKey(key),
  update: new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
});

/** yparty's metadata among entries of the document (any of its keys may be there: only these three are read). */
function metaOf(name: string, entries: Iterable<readonly [Uint8Array, Uint8Array]>): DocMeta {
  const meta: DocMeta = {};
  const seal = keys.sealKey(name);
  const acked = keys.ackedKey(name);
  const damage = keys.damageKey(name);
  for (const [key, value] of entries) {
    if (sameBytes(key, seal)) meta.seal = value;
    else if (sameBytes(key, acked)) meta.acked = decodeLogEnd(value);
    else if (sameBytes(key, damage)) meta.damage = decodeDamage(value);
  }
  return meta;
}

/** The clock y-leveldb's index entry names, if there is a readable one. */
export async function indexClockOf(db: ByteDb, name: string): Promise<number | undefined> {
  const key = keys.indexKey(name);
  const [value] = await db.values({ gte: key, lte: key }).all();
  try {
    return value ? keys.decodeIndexValue(value).clock : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What is known missing from a document whose log entries have `clocks` (ascending): a damage marked before, or one
 * its acked record or the journal's line (`journaled`) shows now. Reads the index entry only when the record
 * disagrees with the log.
 */
export async function findDamage(db: ByteDb, name: string, clocks: readonly number[], meta: DocMeta, journaled?: LogEnd | null): Promise<Damage | undefined> {
  if (meta.damage) return meta.damage;
  const byJournal = journaled ? checkJournaled(journaled, meta.acked, clocks) : undefined;
  if (byJournal) return byJournal;
  if (!checkRecord(clocks, meta.acked)) return undefined;
  return checkRecord(clocks, meta.acked, await indexClockOf(db, name));
}

/** Reads and checks one document without its values (the check needs only the log's keys). `marked`: found before. */
export async function inspectDocument(db: ByteDb, name: string, journaled?: LogEnd | null): Promise<{ damage?: Damage; marked: boolean; end: LogEnd }> {
  const [logKeys, meta] = await Promise.all([db.keys(keys.logRange(name)).all(), readMeta(db, name)]);
  const clocks = logKeys.map(keys.clockOfKey);
  const damage = await findDamage(db, name, clocks, meta, journaled);
  return { ...(damage ? { damage } : {}), marked: meta.damage !== undefined, end: endOf(clocks) };
}

/**
 * Checks every document the ack journal names and marks the damaged ones, so the next loads refuse them even once
 * the journal is started afresh. Returns them with the damage found; documents that cannot even be read are
 * returned with the error (their loads fail by themselves). A document whose record reaches the journal's line
 * kept the batch the journal saw (the record is in it): unless `thorough` (LevelDB dropped parts of its log while
 * opening, so entries may be missing from the middle) its log is not read; its loads check it anyway.
 */
export async function checkJournaledDocuments(
  db: ByteDb,
  journaled: ReadonlyMap<string, LogEnd | null>,
  thorough: boolean,
): Promise<Array<{ name: string; damage?: Damage; error?: unknown }>> {
  const found: Array<{ name: string; damage?: Damage; error?: unknown }> = [];
  const marks: BatchOp[] = [];
  const suspects = thorough ? [...journaled] : await shortOfJournal(db, journaled);
  await eachLimited(suspects, defaults.checkConcurrency, async ([name, end]) => {
    if (end === null) return;
    try {
      const { damage, marked } = await inspectDocument(db, name, end);
      if (!damage) return;
      if (!marked) marks.push(damageMarkOp(name, damage));
      found.push({ name, damage });
    } catch (error) {
      found.push({ name, error });
    }
  });
  found.sort((a, b) => (a.name < b.name ? -1 : 1));
  if (marks.length > 0) await db.batch(marks, { sync: true });
  return found;
}

/** The journaled documents whose record does not reach the journal's line, or that carry a damage mark. */
async function shortOfJournal(db: ByteDb, journaled: ReadonlyMap<string, LogEnd | null>): Promise<Array<[string, LogEnd | null]>> {
  const lines = [...journaled].filter(([, end]) => end !== null);
  if (!db.getMany) return lines;
  // A read that fails (a damaged table) leaves every document to the one-by-one check, which reports each failure.
  const values = await db.getMany(lines.flatMap(([name]) => [keys.ackedKey(name), keys.damageKey(name)])).catch(() => undefined);
  if (!values) return lines;
  return lines.filter(([, end], i) => {
    const acked = decodeLogEnd(values[2 * i]);
    return values[2 * i + 1] !== undefined || !acked || acked.clock < end!.clock;
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
