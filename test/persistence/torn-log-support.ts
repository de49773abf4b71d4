/**
 * A data folder whose write-ahead log LevelDB has not replayed yet (copied while open, as a kill -9 leaves it), to
 * tear or damage its records (leveldb-log.ts judges what the next open drops from it).
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { expect } from "vitest";
import { openStorage } from "../../persistence/index.js";
import { recordChecksum } from "../../persistence/leveldb-log.js";
import { makeTempDir } from "./helpers.js";

export const HEADER = 7;
const VALUE = "v".repeat(600);

/**
 * Room "r"'s keys k0..k4 put one batch each, still in the folder's log (one 32 KiB block): its path, records (the open's
 * own writes first) and `puts`, the record of each key's put (`puts[i]` wrote k<i>). `more` puts further keys (k5…)
 * one batch each, each value made from the log written so far and the puts before it (`record(log, puts, i)`: the
 * bytes of k<i>'s record, a stored value that is itself a log record).
 */
export async function folderWithLog(dirs: string[], more: Array<(log: Buffer, records: LogRecord[]) => unknown> = []) {
  const [source, copy] = [await makeTempDir(), await makeTempDir()];
  dirs.push(source, copy);
  const storage = await openStorage({ dir: source });
  for (let i = 0; i < 5; i++) await storage.kv("r").put(`k${i}`, VALUE);
  for (const [i, value] of more.entries()) {
    const log = await fs.readFile(await lastLog(source));
    await storage.kv("r").put(`k${5 + i}`, value(log, recordsOf(log).slice(-(5 + i))));
  }
  await fs.cp(source, copy, { recursive: true }); // as a kill -9 leaves it: the log not replayed
  await storage.close();
  const file = await lastLog(copy);
  const log = await fs.readFile(file);
  const records = recordsOf(log);
  expect(log.length).toBeLessThan(32 * 1024); // one block: every record below is in it
  const puts = records.slice(-(5 + more.length)); // one record a put, after the open's
  return { dir: copy, file, log, records, puts };
}

export interface LogRecord {
  at: number;
  end: number;
}

/** Record `i`'s bytes, as a value to store. */
export const record = (log: Buffer, records: LogRecord[], i: number): Uint8Array => new Uint8Array(log.subarray(records[i]!.at, records[i]!.end));

async function lastLog(dir: string): Promise<string> {
  const name = (await fs.readdir(dir))
    .filter((file) => /^\d+\.log$/.test(file))
    .sort()
    .at(-1)!;
  return path.join(dir, name);
}

function recordsOf(log: Buffer): LogRecord[] {
  const records: LogRecord[] = [];
  for (let at = 0; at + HEADER <= log.length; ) {
    const end = at + HEADER + log.readUInt16LE(at + 4);
    records.push({ at, end });
    at = end;
  }
  return records;
}

/** A record's batch: its first sequence number and count (the first 12 bytes of its data). */
export function batchOf(log: Buffer, record: { at: number }): { seq: number; count: number } {
  return { seq: Number(log.readBigUInt64LE(record.at + HEADER)), count: log.readUInt32LE(record.at + HEADER + 8) };
}

/** The sequence number LevelDB gives the next batch written after `records`. */
export function nextSeq(log: Buffer, records: ReadonlyArray<{ at: number }>): number {
  const last = batchOf(log, records.at(-1)!);
  return last.seq + last.count;
}

/** Record `like` as a later write of the same batch would be: numbered `seq`, its checksum made again. */
export function renumbered(log: Buffer, like: LogRecord, seq: number): Buffer {
  const record = Buffer.from(log.subarray(like.at, like.end));
  record.writeBigUInt64LE(BigInt(seq), HEADER);
  record.writeUInt32LE(recordChecksum(record, 0), 0);
  return record;
}

/** A write (numbered `seq`, as long as `like`) the disk refused after its header and its first 20 bytes. */
export function tornRecord(log: Buffer, like: LogRecord, seq: number): Buffer {
  return renumbered(log, like, seq).subarray(0, HEADER + 20);
}

/** The folder's log with a torn write after its records and the next write (the last one's batch again) after it. */
export async function tearLog({ file, log, records }: Awaited<ReturnType<typeof folderWithLog>>): Promise<void> {
  const last = records.at(-1)!;
  const next = nextSeq(log, records);
  const torn = tornRecord(log, last, next);
  await fs.writeFile(file, Buffer.concat([log, torn, renumbered(log, last, next + batchOf(log, last).count)]));
}

const BLOCK = 32 * 1024;

/**
 * The bytes LevelDB's log writer (log_writer.cc) appends for `batches` (each a batch's bytes) when it believes itself
 * at `offset` of the log: past a write the disk refused part of, it counts that write whole, so its 32 KiB blocks no
 * longer start where the reader's do. A block's last few bytes too few for a header are zeros; a batch longer than
 * its block's room is cut into FIRST, MIDDLE and LAST records.
 */
export function writtenFrom(offset: number, batches: Buffer[]): Buffer {
  const out: Buffer[] = [];
  let inBlock = offset % BLOCK;
  for (const batch of batches) {
    let left = batch;
    let begin = true;
    do {
      if (BLOCK - inBlock < HEADER) {
        out.push(Buffer.alloc(BLOCK - inBlock));
        inBlock = 0;
      }
      const n = Math.min(left.length, BLOCK - inBlock - HEADER);
      const end = n === left.length;
      const record = Buffer.alloc(HEADER + n);
      record.writeUInt16LE(n, 4);
      record[6] = begin && end ? 1 : begin ? 2 : end ? 4 : 3; // FULL, FIRST, LAST, MIDDLE
      left.copy(record, HEADER, 0, n);
      record.writeUInt32LE(recordChecksum(record, 0), 0);
      out.push(record);
      inBlock += record.length;
      left = left.subarray(n);
      begin = false;
    } while (left.length > 0);
  }
  return Buffer.concat(out);
}

/** A write batch's bytes (write_batch.cc): numbered `seq`, one put of `key` to `value`. */
export function putBatch(seq: number, key: string, value: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeBigUInt64LE(BigInt(seq), 0);
  head.writeUInt32LE(1, 8);
  const varint = (n: number) => {
    const bytes: number[] = [];
    for (; n >= 0x80; n >>>= 7) bytes.push((n & 0x7f) | 0x80);
    bytes.push(n);
    return Buffer.from(bytes);
  };
  return Buffer.concat([head, Buffer.from([1]), varint(key.length), Buffer.from(key), varint(value.length), value]);
}
