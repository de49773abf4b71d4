/**
 * A write the disk refused part of (a full disk), later writes after it in the same log: LevelDB's writer counts the
 * refused write whole, so past it its blocks no longer start where the reader's do, and the reader's next block may
 * start inside a later write's data. Data that is zeros there (a stored value of zero bytes) reads as a zeroed record
 * header, which LevelDB skips without a word. Helper 140 told such a header as a silent drop, and a silent drop is
 * never judged torn: the open said "writes it had acknowledged may be lost" where only the torn write's followers,
 * never acknowledged, were dropped. Oracle: nothing acknowledged is lost, so no error-level warning.
 */
import * as fs from "node:fs/promises";
import { afterEach, expect, it } from "vitest";
import { checkFolder, openStorage, type StorageWarning } from "../../persistence/index.js";
import { removeDir } from "./helpers.js";
import { batchOf, folderWithLog, HEADER, nextSeq, putBatch, renumbered, tornRecord, writtenFrom } from "./torn-log-support.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

const BLOCK = 32 * 1024;

/** The folder's log: its records, a torn write, then later writes whose data is zeros where the reader's block 2 starts. */
async function tornThenZeros(): Promise<string> {
  const folder = await folderWithLog(dirs);
  const { file, log, records } = folder;
  const last = records.at(-1)!;
  let seq = nextSeq(log, records);
  const torn = tornRecord(log, last, seq);
  seq += batchOf(log, last).count;
  // The writer believes the torn write whole: it is ahead of the file by what the disk refused.
  const writerAt = log.length + (last.end - last.at);
  const later: Buffer[] = [];
  const filler = () => renumbered(log, last, seq).subarray(HEADER);
  for (let at = writerAt; at + 2 * (last.end - last.at) + 100 < BLOCK; at += last.end - last.at) {
    later.push(Buffer.from(filler()));
    seq += 1;
  }
  later.push(putBatch(seq, "later", Buffer.concat([Buffer.alloc(5000), Buffer.from("z".repeat(100))])));
  const written = Buffer.concat([log, torn, writtenFrom(writerAt, later)]);
  expect(written.length).toBeGreaterThan(BLOCK + HEADER);
  expect([...written.subarray(BLOCK + 4, BLOCK + HEADER)]).toEqual([0, 0, 0]); // a "zeroed header" where the reader's block 2 starts
  await fs.writeFile(file, written);
  return folder.dir;
}

it("the open says the torn write's end was dropped, nothing acknowledged lost, and keeps every key", async () => {
  const dir = await tornThenZeros();
  const warnings: StorageWarning[] = [];
  const storage = await openStorage({ dir, onWarning: (w) => warnings.push(w) });
  const keys = (await storage.kv("r").list()).size;
  await storage.close();
  expect(keys).toBe(5);
  expect(warnings.filter((w) => w.level === "error").map((w) => w.message)).toEqual([]);
  expect(warnings.map((w) => w.message).join("\n")).toMatch(/torn end of a write that failed.*nothing acknowledged was lost/);
});

it("yparty doctor's check says the same: only torn writes dropped", async () => {
  const report = await checkFolder(await tornThenZeros());
  expect(report.findings).toEqual([]);
  expect(report.onlyTornWrites).toBe(true);
});
