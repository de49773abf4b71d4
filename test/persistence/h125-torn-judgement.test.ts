/**
 * Attacks on the open's judgement of what LevelDB dropped from its write-ahead log (leveldb-log.ts tornLog): a drop
 * that only follows a write that failed half-way is a warning (nothing acknowledged was lost), anything else stays an
 * error. The logs are made as LevelDB writes them (a folder copied while open), then damaged. Oracle: a drop that took
 * acknowledged writes is reported at error level.
 */
import * as fs from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { openStorage, type StorageWarning } from "../../persistence/index.js";
import { removeDir } from "./helpers.js";
import { batchOf, folderWithLog, HEADER, nextSeq, renumbered, tornRecord } from "./torn-log-support.js";

describe("the torn-or-damaged judgement of a dropped log record", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map(removeDir));
  });

  async function openWarnings(dir: string): Promise<{ warnings: StorageWarning[]; keys: number }> {
    const warnings: StorageWarning[] = [];
    const storage = await openStorage({ dir, onWarning: (w) => warnings.push(w) });
    const keys = (await storage.kv("r").list()).size;
    await storage.close();
    expect((await fs.readdir(dir)).filter((name) => name.startsWith("yparty-replayed-"))).toEqual([]);
    return { warnings, keys };
  }

  it("a record in the middle whose length field was damaged (its bytes whole, acknowledged records after it) is an error", async () => {
    const { dir, file, log, records } = await folderWithLog(dirs);
    const damaged = Buffer.from(log);
    const second = records[1]!;
    // One flipped bit of the length: the record now seems to run over the acknowledged ones that follow it.
    damaged.writeUInt16LE(damaged.readUInt16LE(second.at + 4) + 1024, second.at + 4);
    await fs.writeFile(file, damaged);

    const { warnings, keys } = await openWarnings(dir);
    expect(keys).toBeLessThan(5); // LevelDB dropped acknowledged writes
    expect(warnings.filter((w) => w.level === "error").map((w) => w.message)).toEqual([
      expect.stringMatching(/LevelDB skipped damaged parts.*writes it had acknowledged may be lost/),
    ]);
  });

  it("a length damaged past the block's end, acknowledged records after it, is an error", async () => {
    const { dir, file, log, records } = await folderWithLog(dirs);
    const damaged = Buffer.from(log);
    damaged.writeUInt16LE(0xf000, records[1]!.at + 4);
    await fs.writeFile(file, Buffer.concat([damaged, Buffer.alloc(32 * 1024 - damaged.length + 100, 0)]));

    const { warnings } = await openWarnings(dir);
    expect(warnings.filter((w) => w.level === "error").map((w) => w.message)).toEqual([
      expect.stringMatching(/LevelDB skipped damaged parts.*writes it had acknowledged may be lost/),
    ]);
  });

  it("a torn record at the very end, nothing after it: no warning at all (LevelDB takes it for a crash mid-write)", async () => {
    const { dir, file, log, records } = await folderWithLog(dirs);
    const last = records.at(-1)!;
    await fs.writeFile(file, Buffer.concat([log, log.subarray(last.at, last.at + HEADER + 20)]));

    const { warnings, keys } = await openWarnings(dir);
    expect(warnings).toEqual([]);
    expect(keys).toBe(5);
  });

  it("two torn writes in one log, each followed by a later one: a warning, every write before the first there", async () => {
    const { dir, file, log, records } = await folderWithLog(dirs);
    const last = records.at(-1)!;
    const [next, count] = [nextSeq(log, records), batchOf(log, last).count];
    // each write numbered after the one before it, as LevelDB numbers them (a failed batch's numbers too)
    const parts = [0, 1, 2, 3].map((i) => (i % 2 === 0 ? tornRecord(log, last, next + i * count) : renumbered(log, last, next + i * count)));
    await fs.writeFile(file, Buffer.concat([log, ...parts]));

    const { warnings, keys } = await openWarnings(dir);
    expect(warnings.filter((w) => w.level === "error")).toEqual([]);
    expect(warnings.map((w) => w.message).join("\n")).toMatch(/torn end of a write that failed.*nothing acknowledged was lost/);
    expect(keys).toBe(5);
  });
});
