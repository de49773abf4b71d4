/**
 * A write that fails half-way (a full disk) leaves a torn record in LevelDB's write-ahead log; when a later write
 * follows it in the same log, the next open reports dropping the rest of that block, and the storage said "LevelDB
 * skipped damaged parts… writes it had acknowledged may be lost" at error level, though the write guard acknowledges
 * nothing written to a log after a failed write: an operator read a full disk as data loss. Now a drop that only
 * follows a torn write is told as such (a warning: nothing acknowledged was lost); a record damaged whole (a real
 * corruption) is still an error. The logs are made as LevelDB writes them (a folder copied while open, so its log is
 * not yet replayed), then torn or damaged.
 */
import * as fs from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { openStorage, type StorageWarning } from "../../persistence/index.js";
import { removeDir } from "./helpers.js";
import { folderWithLog, tearLog } from "./torn-log-support.js";

describe("a write-ahead log LevelDB drops part of while opening", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map(removeDir));
  });

  async function openWarnings(dir: string): Promise<StorageWarning[]> {
    const warnings: StorageWarning[] = [];
    const storage = await openStorage({ dir, onWarning: (w) => warnings.push(w) });
    await storage.close();
    return warnings;
  }

  it("tells a torn write followed by a later one as no loss", async () => {
    const folder = await folderWithLog(dirs);
    const { dir } = folder;
    await tearLog(folder); // a write the disk refused after its header and a few bytes, then the next write, whole

    const warnings = await openWarnings(dir);
    expect(warnings.map((w) => w.message).join("\n")).toMatch(/dropping \d+ bytes/);
    expect(warnings.filter((w) => w.level === "error")).toEqual([]);
    expect(warnings.map((w) => w.message).join("\n")).toMatch(/torn end of a write that failed.*nothing acknowledged was lost/);
    const storage = await openStorage({ dir });
    expect((await storage.kv("r").list()).size).toBe(5);
    await storage.close();
    expect((await fs.readdir(dir)).filter((name) => name.startsWith("yparty-replayed-"))).toEqual([]);
  });

  it("still reports a record damaged whole as possible loss, at error level", async () => {
    const { dir, file, log, records } = await folderWithLog(dirs);
    const damaged = Buffer.from(log);
    const second = records[1]!;
    damaged[second.end - 3]! ^= 0xff; // an acknowledged batch's bytes, flipped
    await fs.writeFile(file, damaged);

    const warnings = await openWarnings(dir);
    expect(warnings.filter((w) => w.level === "error").map((w) => w.message)).toEqual([
      expect.stringMatching(/LevelDB skipped damaged parts.*writes it had acknowledged may be lost/),
    ]);
  });
});
