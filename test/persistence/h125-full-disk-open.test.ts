/**
 * A start on a full disk, with a write-ahead log LevelDB replays into a table as it opens (the open keeps a hard link
 * to that log until it has checked it: leveldb-log.ts keepLogs). With room for the table the start succeeds and the
 * log's space is free again once it is up; without it, the start, `yparty doctor` and `yparty repair` say the disk is
 * full, not that the folder is damaged and wants a repair (a rewrite of every table, on a full disk), and once space
 * returns everything is served. Needs `mount` (CI runs as root), as test/persistence/disk-full does.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkFolder, openStorage, repairFolder, type StorageWarning } from "../../persistence/index.js";
import { runCli } from "../cli/helpers.js";
import { fillDisk, mountTmpfs, unmount } from "./disk-support.js";
import { makeTempDir, removeDir } from "./helpers.js";

describe("a start on a full disk whose log is still to be replayed", () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /**
   * A folder on an 8 MiB tmpfs holding about 2 MB of room data that does not compress, still in its log (copied while
   * open, as a kill -9 leaves it), the disk filled but for `free(logBytes)` bytes. The values, and the filler.
   */
  async function folderOnFullDisk(free: (logBytes: number) => number) {
    const mount = await makeTempDir();
    mountTmpfs(mount, "8m");
    cleanup.push(() => removeDir(mount));
    cleanup.push(() => unmount(mount));
    const [source, dir] = [await makeTempDir(), path.join(mount, "data")];
    cleanup.push(() => removeDir(source));
    const storage = await openStorage({ dir: source });
    const values = Array.from({ length: 40 }, () => randomBytes(50_000).toString("base64"));
    for (const [i, value] of values.entries()) await storage.kv("r").put(`k${i}`, value);
    await fs.cp(source, dir, { recursive: true });
    await storage.close();
    const log = (await fs.readdir(dir)).find((name) => /^\d+\.log$/.test(name))!;
    const logBytes = (await fs.stat(path.join(dir, log))).size;
    expect(logBytes).toBeGreaterThan(2_000_000);
    const filler = await fillDisk(mount);
    const { bavail, bsize } = await fs.statfs(dir);
    await fs.truncate(filler, (await fs.stat(filler)).size - (free(logBytes) - bavail * bsize));
    return { dir, values, filler, logBytes };
  }

  async function expectServed(dir: string, values: string[]): Promise<void> {
    const warnings: StorageWarning[] = [];
    const storage = await openStorage({ dir, onWarning: (w) => warnings.push(w) });
    try {
      expect(warnings).toEqual([]);
      await storage.kv("r").put("after", "written once the open is done");
      const stored = await storage.kv("r").list();
      expect(stored.size).toBe(values.length + 1);
      for (const [i, value] of values.entries()) expect(stored.get(`k${i}`)).toBe(value);
    } finally {
      await storage.close();
    }
    expect((await fs.readdir(dir)).filter((name) => name.startsWith("yparty-replayed-"))).toEqual([]);
  }

  it("room for the table: the kept log holds its space only while the open checks it; the start succeeds", async () => {
    const { dir, values, logBytes } = await folderOnFullDisk((logBytes) => logBytes + 1_500_000);
    await expectServed(dir, values);
    const after = await fs.statfs(dir);
    expect(after.bavail * after.bsize).toBeGreaterThan(logBytes); // the replayed log's space is free again
  });

  it("no room for the table: start, doctor and repair say the disk is full (not to repair); with space back it is all served", async () => {
    const { dir, values, filler, logBytes } = await folderOnFullDisk((logBytes) => Math.floor(logBytes / 2));
    const refusals: Array<{ code?: string; message?: string } | undefined> = [];
    for (const run of [() => openStorage({ dir }).then((s) => s.close()), () => checkFolder(dir), () => repairFolder(dir)]) {
      refusals.push(
        await run().then(
          () => undefined,
          (error: unknown) => error as { code?: string; message?: string },
        ),
      );
    }
    const free = await fs.statfs(dir).then(({ bavail, bsize }) => bavail * bsize);
    for (const refusal of refusals) {
      expect(refusal?.code).toBe("ERR_STORAGE_FULL");
      expect(refusal?.message).toContain("Free space on it and start again; its data was not touched");
      expect(refusal?.message).not.toContain("repair");
      // how much room the open takes, and how much there is (h140: it said "the disk is full" only)
      const [, needed, log, free_] =
        /takes some ([\d.]+) MB free \(its write-ahead log, ([\d.]+) MB, written as a table, and 1\.0 MB more\), and ([\d.]+) MB is free/.exec(
          refusal?.message ?? "",
        ) ?? [];
      expect(Number(log)).toBeCloseTo(logBytes / 1e6, 1);
      expect(Number(needed)).toBeGreaterThan(Number(free_));
      expect(Number(free_)).toBeCloseTo(free / 1e6, 0);
    }
    expect(await fs.readdir(dir)).not.toContain("lost"); // LevelDB's repair did not run
    // yparty start says it as it is (h140: "yparty: unexpected failure: … (set YPARTY_DEBUG=1 for the stack)")
    const started = await runCli(["start", "--port", "0", "--persist", dir], { cwd: path.dirname(dir) });
    expect(started.code).toBe(1);
    expect(started.stderr).toMatch(
      /^yparty: \S+ cannot be opened .*the open takes some [\d.]+ MB free.*Free space on it and start again; its data was not touched\n$/,
    );

    await fs.truncate(filler, 0);
    expect(logBytes).toBeGreaterThan(0);
    await expectServed(dir, values);
  });
});
