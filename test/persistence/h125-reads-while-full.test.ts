/**
 * Reads after a write failed on a full disk (write-guard.ts: they wait for the reopen, made once the disk has
 * `reopenMinFreeBytes` free; on a full disk they read the open database). Attacked on a real tmpfs: the disk staying
 * full while many rooms read at once, and a disk with room for the reopen's check but not for the table its replay
 * writes. Oracle: every put that resolved reads back, now and after a restart. Needs `mount` (CI runs as root).
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStorage, type Storage } from "../../persistence/index.js";
import { fillDisk, mountTmpfs, unmount } from "./disk-support.js";
import { makeTempDir, removeDir, withTimeout } from "./helpers.js";

const ROOMS = 60;

describe("room reads after a write failed on a full disk", () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /** A storage on an 8 MiB tmpfs with ROOMS rooms' key "k" put (about 3 MB that does not compress, in LevelDB's memory). */
  async function storageWithRooms() {
    const mount = await makeTempDir();
    mountTmpfs(mount, "8m");
    cleanup.push(() => removeDir(mount));
    cleanup.push(() => unmount(mount));
    const dir = path.join(mount, "data");
    const storage = await openStorage({ dir });
    cleanup.push(() => storage.close());
    const values = Array.from({ length: ROOMS }, () => randomBytes(36_000).toString("base64"));
    for (const [i, value] of values.entries()) await storage.kv(`r${i}`).put("k", value);
    const filler = await fillDisk(mount);
    await expect(storage.kv("r0").put("refused", randomBytes(200_000).toString("base64"))).rejects.toMatchObject({ code: "ERR_STORAGE_FULL" });
    return { dir, storage, values, filler };
  }

  const readAll = (storage: Storage, values: string[]) =>
    withTimeout(Promise.all(values.map(async (value, i) => expect(await storage.kv(`r${i}`).get("k")).toBe(value))), 10_000, "every room's read");

  it("the disk staying full: every room's read answers from the open database, round after round", async () => {
    const { storage, values } = await storageWithRooms();
    for (let round = 0; round < 5; round++) await readAll(storage, values);
    // The next write finds the disk too full to reopen after the failed one, and says so in MB, as the open does.
    await expect(storage.kv("r0").put("refused again", "x")).rejects.toThrow(
      /is full \(\d+\.\d MB free, reopening the database after the failed write takes some \d+\.\d MB\): free space on it/,
    );
  });

  it("room for the reopen's check but not for its replay's table: reads still answer", async () => {
    const { dir, storage, values, filler } = await storageWithRooms();
    const { bavail, bsize } = await fs.statfs(dir);
    await fs.truncate(filler, (await fs.stat(filler)).size - (1_500_000 - bavail * bsize)); // 1.5 MB free: above 1 MiB
    await readAll(storage, values);
    await readAll(storage, values);

    await fs.truncate(filler, 0);
    await storage.kv("r0").put("after", "space came back");
    await readAll(storage, values);
    await storage.close();
    const again = await openStorage({ dir });
    cleanup.push(() => again.close());
    await readAll(again, values);
    expect(await again.kv("r0").get("after")).toBe("space came back");
  });
});
