/**
 * LevelDB's own account of its last open. `classic-level` does not expose `paranoid_checks`, so a damaged block of the
 * write-ahead log is skipped silently on open, but LevelDB writes what it dropped to its info log (`LOG`, started
 * afresh by every open): `... 000003.log: dropping 18366 bytes; Corruption: checksum mismatch`. Read right after the
 * open, those lines say the open lost writes, though not whose (the records in ack-record.ts name the documents).
 * A lost tail of the log (truncated at the end) leaves no such line: LevelDB takes it for a crash mid-write.
 *
 * Such a line also comes from a write that failed half-way (a full disk) when a later write followed it in the same
 * log: LevelDB reports the torn record and drops the rest of its 32 KiB block. That is no loss: the write guard
 * (write-guard.ts) acknowledges nothing written to a log after a failed write (a batch in flight beside it is
 * refused; the next write waits for a reopen, which starts a fresh log). To tell the two apart the open keeps the
 * logs it is about to replay (`keepLogs`: hard links, LevelDB deletes its logs once replayed) and, when LevelDB
 * reported drops, reads them (`tornLogs`): a log whose first bad record was cut short by a later write is torn there,
 * and everything after that point in it was never acknowledged.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { defaults } from "./defaults.js";

/** LevelDB's complaints during the open that wrote `LOG` (empty when there were none, or no LOG). */
export async function droppedOnOpen(location: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile(path.join(location, "LOG"), "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => /dropping \d+ bytes|Corruption|ignoring error/i.test(line))
    .map((line) => line.replace(/^\S+ \S+ /, "")); // timestamp and thread id
}

/** Bytes of the write-ahead logs an open of the folder replays now (0 when it cannot be read). */
export async function logBytes(location: string): Promise<number> {
  const names = await fs.readdir(location).catch(() => [] as string[]);
  const sizes = await Promise.all(
    names
      .filter((name) => LOG_FILE.test(name))
      .map((name) =>
        fs.stat(path.join(location, name)).then(
          (stat) => stat.size,
          () => 0,
        ),
      ),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}

/**
 * Room on the folder's disk for an open (or a reopen), which replays its logs into a table as large as they are (data
 * that does not compress): bytes free now, and what the replay takes with `defaults.reopenMinFreeBytes` to spare.
 */
export async function replayRoom(location: string): Promise<{ free: number; needed: number }> {
  const [{ bavail, bsize }, replayed] = await Promise.all([fs.statfs(location), logBytes(location)]);
  return { free: bavail * bsize, needed: defaults.reopenMinFreeBytes + replayed };
}

/** Kept logs' names: a name LevelDB does not take for one of its files (it would delete it). */
const KEPT_PREFIX = "yparty-replayed-";
const LOG_FILE = /^(\d+)\.log$/;

/** The logs the next open replays, kept (linked) until `release`: LevelDB deletes them once replayed. Only under the
 * folder's hold (folder-hold.ts): LevelDB's own lock is taken too late, inside the open. */
export interface KeptLogs {
  /** Log number (as in LevelDB's file name) → kept path. */
  readonly files: ReadonlyMap<number, string>;
  release(): Promise<void>;
}

export async function keepLogs(location: string): Promise<KeptLogs> {
  const names = await fs.readdir(location).catch(() => [] as string[]);
  // Left by a start that stopped before releasing them. Only a help to the judgement, never a reason for the open to
  // fail: one that cannot be removed (a folder remounted read-only) is left, and LevelDB's open says what is wrong.
  await Promise.all(
    names.filter((name) => name.startsWith(KEPT_PREFIX)).map((name) => fs.rm(path.join(location, name), { force: true }).catch(() => undefined)),
  );
  const files = new Map<number, string>();
  for (const name of names) {
    const number = LOG_FILE.exec(name)?.[1];
    if (number === undefined) continue;
    const kept = path.join(location, KEPT_PREFIX + name);
    // A file system without hard links keeps none: drops are then told as damage, as before.
    if (
      await fs.link(path.join(location, name), kept).then(
        () => true,
        () => false,
      )
    )
      files.set(Number(number), kept);
  }
  // (one not removed now is removed by the next start)
  const release = async () => void (await Promise.all([...files.values()].map((file) => fs.rm(file, { force: true }).catch(() => undefined))));
  return { files, release };
}

/**
 * Whether every drop LevelDB reported (`dropped`, lines of `droppedOnOpen`) is in a kept log that is torn before it:
 * then LevelDB dropped only what followed a write that failed, which was never acknowledged.
 */
export async function onlyTornWritesDropped(dropped: readonly string[], kept: KeptLogs): Promise<boolean> {
  const torn = new Map<number, boolean>();
  for (const line of dropped) {
    const number = /(\d+)\.log: dropping \d+ bytes/.exec(line)?.[1];
    const file = number === undefined ? undefined : kept.files.get(Number(number));
    if (file === undefined) return false; // not a log's drop (a table's corruption), or a log not kept
    // A kept log gone meanwhile (removed by hand, or by a process that is not yparty's: a yparty opener sweeps only
    // under the folder's hold, folder-hold.ts) tells nothing: the drop is then told as damage, and the open goes on.
    if (!torn.has(Number(number))) torn.set(Number(number), await tornLog(file).catch(() => false));
    if (!torn.get(Number(number))) return false;
  }
  return true;
}

/**
 * What LevelDB's open drops from the kept logs without a word (its LOG says nothing): a record header whose length and
 * type read 0 makes its reader skip the rest of that 32 KiB block (log_reader.cc takes it for preallocated space,
 * which LevelDB 1.20 never writes), so a header zeroed on disk (a file system's zeroed page after a crash) hides the
 * records after it in the block. Told, as `droppedOnOpen`'s lines are, when written data follows the zeros in the log;
 * zeros to the log's end are a tail never written, like a log cut short.
 */
export async function silentDrops(kept: KeptLogs): Promise<string[]> {
  const lines: string[] = [];
  for (const [number, file] of kept.files) {
    const log = await fs.readFile(file).catch(() => undefined);
    if (!log) continue;
    for (let at = 0; at < log.length; ) {
      const blockEnd = Math.min(log.length, (Math.floor(at / BLOCK) + 1) * BLOCK);
      if (blockEnd - at < HEADER) {
        at = blockEnd;
        continue;
      }
      const length = log.readUInt16LE(at + 4);
      const type = log[at + 6]!;
      if (type === 0 && length === 0) {
        if (log.subarray(at + 4).some((byte) => byte !== 0)) {
          lines.push(
            `${String(number).padStart(6, "0")}.log: skipping ${blockEnd - at} bytes at offset ${at} without a word; a zeroed record header (length 0, type 0) with written records after it`,
          );
        }
        at = blockEnd; // (LevelDB drops the rest of the block without a word)
        continue;
      }
      // A record LevelDB reports (its "dropping" line), or the log's cut end: read no further. Past a write the disk
      // refused part of, the writer's blocks no longer start where the reader's do, so the reader's next block may
      // start inside a later write's data, zeros there reading as a zeroed header: that log is judged by `tornLog`,
      // from its first bad record on (a silent line would make it damage). A log damaged there is told as such already.
      if (at + HEADER + length > blockEnd || !intact(log, at)) break;
      at += HEADER + length;
    }
  }
  return lines;
}

const BLOCK = 32 * 1024;
const HEADER = 7;
const [FULL, FIRST, MIDDLE, LAST] = [1, 2, 3, 4];
/** A write batch's header: its first sequence number (8 bytes), its count (4), little-endian (write_batch.cc). */
const BATCH_HEADER = 12;

/**
 * Whether the first record LevelDB would drop from this log (read as log_reader.cc reads it) was cut short by a later
 * write: a valid record starts inside its span (and its own bytes do not match its checksum at a shorter length: a
 * damaged length field), or a new record starts before its fragments ended. LevelDB writes a
 * log's records one after another, so the cut one is a write that failed. False when the log has no bad record, or
 * when its first bad one is whole but damaged (a real corruption).
 *
 * A later write is a new batch: its sequence number (the first 8 bytes of a FULL or FIRST record's data, then the
 * batch's count) is at least the one after the last batch before it in the log, and after the cut batch's own when
 * its header survived (LevelDB 1.20 counts a failed batch's numbers as used: db_impl.cc). A valid record inside a
 * damaged one's span with an older number is bytes of that record's data (a stored value that is itself a log record,
 * a copy of one), not a later write: that drop is damage. A bad record with no batch before it whose own header is
 * cut too cannot be judged, and is told as damage.
 */
export async function tornLog(file: string): Promise<boolean> {
  const log = await fs.readFile(file);
  let fragmentStart = -1;
  /** The sequence number a later batch starts at (at least), from the last batch read; -1 before the first. */
  let next = -1;
  for (let at = 0; at < log.length; ) {
    const blockEnd = Math.min(log.length, (Math.floor(at / BLOCK) + 1) * BLOCK);
    if (blockEnd - at < HEADER) {
      at = blockEnd; // a block's trailer
      continue;
    }
    const length = log.readUInt16LE(at + 4);
    const type = log[at + 6]!;
    const end = at + HEADER + length;
    if (end > blockEnd) {
      if (blockEnd === log.length) return false; // the file ends inside it: a tail LevelDB drops without a word
      return !wholeWithShorterLength(log, at, blockEnd) && laterWriteWithin(log, at, blockEnd, next);
    }
    if (type === 0 && length === 0) {
      at = blockEnd; // preallocated zeros: skipped without a word (silentDrops tells when they hid records)
      continue;
    }
    if (!intact(log, at)) return !wholeWithShorterLength(log, at, end) && laterWriteWithin(log, at, end, next);
    if (type === FIRST || type === FULL) {
      // a new record began before the last one's fragments ended: a later write, if numbered after that one
      if (fragmentStart >= 0) return next >= 0 && (batchAt(log, at)?.seq ?? -1) >= next;
      if (type === FIRST) fragmentStart = at;
      const batch = batchAt(log, at);
      if (batch) next = batch.seq + batch.count;
    } else if (type === MIDDLE || type === LAST) {
      if (fragmentStart < 0) return false;
      if (type === LAST) fragmentStart = -1;
    } else {
      return false;
    }
    at = end;
  }
  return false;
}

/** The batch header (sequence number, count) a FULL or FIRST record at `at` starts with, if its data holds one. */
function batchAt(log: Buffer, at: number): { seq: number; count: number } | undefined {
  const type = log[at + 6]!;
  if ((type !== FULL && type !== FIRST) || log.readUInt16LE(at + 4) < BATCH_HEADER || at + HEADER + BATCH_HEADER > log.length) return undefined;
  return { seq: Number(log.readBigUInt64LE(at + HEADER)), count: log.readUInt32LE(at + HEADER + 8) };
}

/**
 * Whether a later write begins inside the bad record at `bad` (below `to`): a valid FULL or FIRST record numbered after
 * the last batch before it (`next`) and after the bad record's own batch when that header was written before it.
 */
function laterWriteWithin(log: Buffer, bad: number, to: number, next: number): boolean {
  for (let at = bad + 1; at < to; at++) {
    if (!validRecordAt(log, at)) continue;
    const batch = batchAt(log, at);
    if (!batch) continue;
    // (the bad record's header, when its bytes reach that far before this record)
    const cut = at >= bad + HEADER + BATCH_HEADER ? batchAt(log, bad) : undefined;
    if (next < 0 && !cut) continue;
    if (batch.seq >= next && (!cut || batch.seq >= cut.seq + cut.count)) return true;
  }
  return false;
}

/** A record with a valid checksum begins at `at` and ends in its block. */
function validRecordAt(log: Buffer, at: number): boolean {
  const blockEnd = Math.min(log.length, (Math.floor(at / BLOCK) + 1) * BLOCK);
  if (at + HEADER > blockEnd) return false;
  const type = log[at + 6]!;
  if (type < FULL || type > LAST || at + HEADER + log.readUInt16LE(at + 4) > blockEnd) return false;
  return intact(log, at);
}

/**
 * Whether the record at `at` matches its checksum at a length shorter than its header says (below `to`): its bytes are
 * whole and its length field was damaged, so the records inside its stated span are acknowledged ones that follow it,
 * not a later write over a torn one (a torn record's checksum is of bytes that never reached the file).
 */
function wholeWithShorterLength(log: Buffer, at: number, to: number): boolean {
  const expected = unmasked(log.readUInt32LE(at));
  const stated = at + HEADER + log.readUInt16LE(at + 4);
  let c = crc32cStep(~0, log[at + 6]!);
  for (let i = at + HEADER; i < stated && i <= to; i++) {
    if (~c >>> 0 === expected) return true;
    if (i < to) c = crc32cStep(c, log[i]!);
  }
  return false;
}

/** The record at `at` matches its checksum (a masked CRC-32C of its type and data). */
function intact(log: Buffer, at: number): boolean {
  return crc32c(log, at + 6, at + HEADER + log.readUInt16LE(at + 4)) === unmasked(log.readUInt32LE(at));
}

/** The checksum a record's header stores for the record at `at` (LevelDB's masked CRC-32C of its type and data). */
export function recordChecksum(log: Uint8Array, at: number): number {
  const crc = crc32c(log, at + 6, at + HEADER + (log[at + 4]! | (log[at + 5]! << 8)));
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** A record's CRC-32C from the masked one its header stores. */
function unmasked(masked: number): number {
  const rotated = (masked - 0xa282ead8) >>> 0;
  return ((rotated >>> 17) | (rotated << 15)) >>> 0;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

function crc32c(bytes: Uint8Array, from: number, to: number): number {
  let c = ~0;
  for (let i = from; i < to; i++) c = crc32cStep(c, bytes[i]!);
  return ~c >>> 0;
}

function crc32cStep(c: number, byte: number): number {
  return CRC32C_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
}
