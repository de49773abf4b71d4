/**
 * The hard links the open keeps to the logs LevelDB replays (`yparty-replayed-<n>.log`, leveldb-log.ts keepLogs),
 * attacked from the outside: left over by a start killed -9 between linking and releasing them, on a file system that
 * was then remounted read-only (as one is after errors) (a full disk: h125-full-disk-open).
 * Needs `mount` (CI runs as root), as test/persistence/disk-full does.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkFolder, openStorage, repairFolder, type StorageWarning } from "../../persistence/index.js";
import { mountTmpfs, unmount } from "./disk-support.js";
import { makeTempDir, removeDir } from "./helpers.js";

describe("the logs kept while the open replays them", () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function tmpfs(size = "16m"): Promise<string> {
    const dir = await makeTempDir();
    mountTmpfs(dir, size);
    cleanup.push(() => removeDir(dir));
    cleanup.push(() => unmount(dir));
    return path.join(dir, "data");
  }

  /** A link as a start killed -9 while it opened leaves it: to a log LevelDB has since replayed and deleted. */
  async function leaveLink(dir: string): Promise<string> {
    const stale = path.join(dir, "yparty-replayed-000001.log");
    await fs.writeFile(stale, "a replayed log's bytes");
    return stale;
  }

  it("a leftover link on a folder remounted read-only: the start says the folder cannot be written, not an unlink error", async () => {
    const dir = await tmpfs();
    const storage = await openStorage({ dir });
    await storage.kv("r").put("k", "v");
    await storage.close();
    await leaveLink(dir);
    execFileSync("mount", ["-o", "remount,ro", path.dirname(dir)]);
    cleanup.push(() => void execFileSync("mount", ["-o", "remount,rw", path.dirname(dir)]));

    const error = await openStorage({ dir }).then(
      (opened) => opened.close().then(() => undefined),
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(error?.code).toBe("ERR_STORAGE_NOT_WRITABLE");
    expect(error?.message).toContain("Make the folder writable by this user");
  });

  it("a leftover link is removed by the next start, which serves everything", async () => {
    const dir = await tmpfs();
    const storage = await openStorage({ dir });
    for (let i = 0; i < 20; i++) await storage.kv("r").put(`k${i}`, "v".repeat(1000));
    await storage.close();
    await leaveLink(dir);

    const warnings: StorageWarning[] = [];
    const again = await openStorage({ dir, onWarning: (w) => warnings.push(w) });
    expect((await again.kv("r").list()).size).toBe(20);
    await again.close();
    expect(warnings).toEqual([]);
    expect((await fs.readdir(dir)).filter((name) => name.startsWith("yparty-replayed-"))).toEqual([]);
  });

  it("a leftover link holding writes undone since is never replayed: not by doctor, repair (LevelDB's too) or a start", async () => {
    const dir = path.join(await makeTempDir(), "data");
    cleanup.push(() => removeDir(path.dirname(dir)));
    const storage = await openStorage({ dir });
    await storage.kv("r").put("gone", "deleted since");
    const log = (await fs.readdir(dir))
      .filter((name) => /^\d+\.log$/.test(name))
      .sort()
      .at(-1)!;
    // As a start killed -9 while it opened leaves it: a link to a log holding the put, under a name LevelDB ignores.
    const leftover = path.join(dir, `yparty-replayed-${log}`);
    const leftoverBytes = await fs.readFile(path.join(dir, log));
    await fs.writeFile(leftover, leftoverBytes);
    await storage.kv("r").delete("gone");
    await storage.kv("r").put("kept", "v");
    await storage.close();

    expect((await checkFolder(dir)).dropped).toEqual([]);
    await fs.writeFile(leftover, leftoverBytes); // (doctor removed it, as a start does)
    await fs.rm(path.join(dir, "CURRENT")); // so that repair runs LevelDB's RepairDB over every file it finds
    await repairFolder(dir);
    const again = await openStorage({ dir });
    try {
      expect([...(await again.kv("r").list()).keys()]).toEqual(["kept"]);
    } finally {
      await again.close();
    }
    expect((await fs.readdir(dir)).filter((name) => name.startsWith("yparty-replayed-"))).toEqual([]);
  });
});
