/**
 * How yparty knows a document lost acknowledged writes. Every batch that changes a document's log also writes, in the
 * same atomic batch, the log's end as that batch leaves it: the clock of its last entry and how many entries it holds
 * (the "acked record", `['v1', name, 'meta', 'yparty:acked']`, in y-leveldb's metadata space like the seal). A load
 * that finds fewer entries at or below that clock than the record counts, or not the entry at that clock, knows a
 * part of the log it acknowledged is gone (LevelDB dropped a damaged block of its write-ahead log, or a table).
 *
 * The record goes down with its batch, so it cannot tell that the newest batches are gone (a truncated write-ahead
 * log): the ack journal (ack-journal.ts) witnesses those. What either finds is kept as a damage mark
 * (`['v1', name, 'meta', 'yparty:damaged']`) until `yparty repair` accepts what is left.
 */
import * as buffer from "lib0/buffer";
import type { BatchOp } from "./byte-db.js";
import { ackedKey, damageKey } from "./doc-keys.js";

/** The end of a document's log: the clock of its last entry (-1: none) and how many entries it holds. */
export interface LogEnd {
  clock: number;
  updates: number;
}

/** A document known to miss writes it acknowledged. */
export interface Damage {
  /** What was acknowledged. */
  expected: LogEnd;
  /** What the log holds now. */
  found: LogEnd;
  /** How many acknowledged writes (log entries, or whole batches for a lost tail) are missing, at least. */
  missing: number;
  /** Who noticed: the in-batch record, or the ack journal (a lost tail of the write-ahead log). */
  detectedBy: "record" | "journal";
  /** ISO time of the first detection. */
  detectedAt: string;
}

export function ackedRecordOp(name: string, end: LogEnd): BatchOp {
  return { type: "put", key: ackedKey(name), value: encodeLogEnd(end) };
}

/**
 * The record's value (`ackedRecordOp` writes it under the document's `ackedKey`): lib0's `encodeAny({ clock, updates })`,
 * written out for counts up to 2^31 (every batch writes one per document; a lib0 encoder starts with a 100-byte buffer
 * outside V8's heap, where these ~20 bytes fit in one small array), byte for byte what `encodeAny` writes.
 */
export function encodeLogEnd({ clock, updates }: LogEnd): Uint8Array {
  if (!isSmallCount(clock) || !isSmallCount(updates)) return buffer.encodeAny({ clock, updates });
  const bytes = new Uint8Array(CLOCK_PART.length + varIntSize(clock) + UPDATES_PART.length + varIntSize(updates));
  bytes.set(CLOCK_PART);
  const at = writeVarInt(bytes, CLOCK_PART.length, clock);
  bytes.set(UPDATES_PART, at);
  writeVarInt(bytes, at + UPDATES_PART.length, updates);
  return bytes;
}

/** `encodeAny`'s bytes before the clock: an object (118) of 2 keys, the key "clock" (a varString), an integer (125). */
const CLOCK_PART = Uint8Array.of(118, 2, 5, ...new TextEncoder().encode("clock"), 125);
/** Before the count: the key "updates", an integer. */
const UPDATES_PART = Uint8Array.of(7, ...new TextEncoder().encode("updates"), 125);
/** `encodeAny` writes an integer up to 2^31 as type 125 and lib0's varInt; larger ones as floats. */
const isSmallCount = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0x7fff_ffff;
/** lib0's varInt of a non-negative integer: 6 bits in its first byte (after the continue and sign bits), 7 in each next. */
const varIntSize = (n: number): number => (n < 2 ** 6 ? 1 : n < 2 ** 13 ? 2 : n < 2 ** 20 ? 3 : n < 2 ** 27 ? 4 : 5);
function writeVarInt(bytes: Uint8Array, at: number, n: number): number {
  bytes[at++] = (n > 0x3f ? 0x80 : 0) | (n & 0x3f);
  for (let rest = Math.floor(n / 64); rest > 0; rest = Math.floor(rest / 128)) bytes[at++] = (rest > 0x7f ? 0x80 : 0) | (rest & 0x7f);
  return at;
}

export function damageMarkOp(name: string, damage: Damage): BatchOp {
  return { type: "put", key: damageKey(name), value: buffer.encodeAny({ ...damage }) };
}

export function decodeLogEnd(bytes: Uint8Array | undefined): LogEnd | undefined {
  const value = decodeObject(bytes);
  return value && isLogEnd(value) ? { clock: value.clock, updates: value.updates } : undefined;
}

export function decodeDamage(bytes: Uint8Array | undefined): Damage | undefined {
  const value = decodeObject(bytes);
  if (!value || !isLogEnd(value.expected) || !isLogEnd(value.found)) return undefined;
  const detectedBy = value.detectedBy === "journal" ? "journal" : "record";
  const detectedAt = typeof value.detectedAt === "string" ? value.detectedAt : "";
  const missing = Number.isInteger(value.missing) ? (value.missing as number) : 1;
  return { expected: value.expected, found: value.found, missing, detectedBy, detectedAt };
}

/** The log's end as its entries' clocks (ascending) show it. */
export function endOf(clocks: readonly number[]): LogEnd {
  return { clock: clocks.at(-1) ?? -1, updates: clocks.length };
}

/**
 * Whether the log (its entries' clocks, ascending) holds everything `record` says was acknowledged.
 * `indexClock`: the clock y-leveldb's index entry names; a newer one than the record's means y-leveldb itself
 * rewrote the document (its `flushDocument`), which leaves the record stale, not the log damaged.
 */
export function checkRecord(clocks: readonly number[], record: LogEnd | undefined, indexClock?: number): Damage | undefined {
  if (!record || record.updates === 0) return undefined;
  if (indexClock !== undefined && indexClock > record.clock) return undefined;
  let upTo = 0;
  while (upTo < clocks.length && clocks[upTo]! <= record.clock) upTo++;
  if (upTo >= record.updates && clocks[upTo - 1] === record.clock) return undefined;
  return damage(record, endOf(clocks), Math.max(1, record.updates - upTo), "record");
}

/** Whether the log's record reaches what the ack journal saw acknowledged. */
export function checkJournaled(journaled: LogEnd, record: LogEnd | undefined, clocks: readonly number[]): Damage | undefined {
  if (journaled.clock < 0 || (record && record.clock >= journaled.clock)) return undefined;
  // Each batch takes the next clock: the clocks between the record's and the journal's are lost batches.
  return damage(journaled, endOf(clocks), journaled.clock - (record?.clock ?? -1), "journal");
}

const damage = (expected: LogEnd, found: LogEnd, missing: number, detectedBy: Damage["detectedBy"]): Damage => ({
  expected,
  found,
  missing,
  detectedBy,
  detectedAt: new Date().toISOString(),
});

/** One line for logs and `yparty doctor`: what was acknowledged, what is there, what is missing. */
export function describeDamage(damage: Damage): string {
  const { expected, found, missing } = damage;
  const what =
    damage.detectedBy === "journal"
      ? `its ${missing} newest acknowledged write(s) are missing (a lost tail of LevelDB's write-ahead log)`
      : `${missing} acknowledged log entr${missing === 1 ? "y is" : "ies are"} missing`;
  return `${what}: acknowledged through write #${expected.clock} (${expected.updates} log entries), the log holds ${found.updates} entries through #${found.clock}`;
}

function decodeObject(bytes: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = buffer.decodeAny(bytes);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isLogEnd(value: unknown): value is LogEnd {
  const end = value as { clock?: unknown; updates?: unknown } | null;
  return typeof end === "object" && end !== null && Number.isInteger(end.clock) && Number.isInteger(end.updates);
}
