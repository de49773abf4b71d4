/**
 * A data folder whose write-ahead log LevelDB has not replayed yet (copied while open, as a kill -9 leaves it), to
 * tear or damage its records (leveldb-log.ts judges what the next open drops from it).
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { expect } from "vitest";
import { openStorage } from "../../persistence/index.js";
import { makeTempDir } from "./helpers.js";

export const HEADER = 7;
const VALUE = "v".repeat(600);

/** Room "r"'s keys k0..k4 put one batch each, still in the folder's log (one 32 KiB block): its path and records. */
export async function folderWithLog(dirs: string[]) {
  const [source, copy] = [await makeTempDir(), await makeTempDir()];
  dirs.push(source, copy);
  const storage = await openStorage({ dir: source });
  for (let i = 0; i < 5; i++) await storage.kv("r").put(`k${i}`, VALUE);
  await fs.cp(source, copy, { recursive: true }); // as a kill -9 leaves it: the log not replayed
  await storage.close();
  const name = (await fs.readdir(copy))
    .filter((file) => /^\d+\.log$/.test(file))
    .sort()
    .at(-1)!;
  const file = path.join(copy, name);
  const log = await fs.readFile(file);
  const records: Array<{ at: number; end: number }> = [];
  for (let at = 0; at + HEADER <= log.length; ) {
    const end = at + HEADER + log.readUInt16LE(at + 4);
    records.push({ at, end });
    at = end;
  }
  expect(log.length).toBeLessThan(32 * 1024); // one block: every record below is in it
  return { dir: copy, file, log, records };
}

/** A write the disk refused after its header and a few bytes, of a record as long as `like`. */
export function tornRecord(like: { at: number; end: number }): Buffer {
  const torn = Buffer.alloc(HEADER + 10, 0x5a);
  torn.writeUInt16LE(like.end - like.at, 4);
  torn[6] = 1;
  return torn;
}

/** The folder's log with a torn write after its records and the last one written again after it. */
export async function tearLog({ file, log, records }: Awaited<ReturnType<typeof folderWithLog>>): Promise<void> {
  const last = records.at(-1)!;
  await fs.writeFile(file, Buffer.concat([log, tornRecord(last), log.subarray(last.at, last.end)]));
}
