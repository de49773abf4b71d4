/**
 * A second start (or doctor, or repair) on a folder a running server holds is refused with ERR_STORAGE_LOCKED before it
 * touches any file: it used to link the server's live write-ahead log (`yparty-replayed-<n>.log`, leveldb-log.ts
 * keepLogs) and remove the kept links of a start mid-open, before LevelDB's own lock refused it (folder-hold.ts).
 */
import type { FSWatcher } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, expect, it } from "vitest";
import { checkFolder, openStorage, repairFolder, type Storage } from "../../persistence/index.js";
import { spawnFixture, spawnReady, type Child } from "./child.js";
import { namesTouched } from "./folder-watch.js";
import { makeTempDir, removeDir, withTimeout } from "./helpers.js";

const CHILD_TIMEOUT_MS = 20_000;
const children: Child[] = [];
const storages: Storage[] = [];
const watchers: FSWatcher[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const watcher of watchers.splice(0)) watcher.close();
  await Promise.all(children.splice(0).map((child) => child.kill()));
  await Promise.all(storages.splice(0).map((storage) => storage.close()));
  await Promise.all(dirs.splice(0).map(removeDir));
});

async function heldByAnotherProcess(): Promise<{ dir: string; holder: Child }> {
  const dir = await makeTempDir();
  dirs.push(dir);
  const holder = await spawnReady("hold-folder.ts", [dir, "hold"], children, "the holder to open");
  return { dir, holder };
}

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => "opened",
    (error: unknown) => (error as { code?: string }).code,
  );
const liveLogs = async (dir: string) => (await fs.readdir(dir)).filter((name) => /^\d+\.log$/.test(name));

it("a second start, doctor and repair on a folder a server holds: refused, no log linked, no kept link removed", async () => {
  const { dir, holder } = await heldByAnotherProcess();
  // As a start mid-open keeps a log it replays (or one killed -9 left behind): only the folder's holder may remove it.
  const kept = path.join(dir, "yparty-replayed-000001.log");
  await fs.writeFile(kept, "a replayed log's bytes");

  const touched = await namesTouched(
    dir,
    async () => {
      expect(await code(openStorage({ dir }))).toBe("ERR_STORAGE_LOCKED");
      expect(await code(checkFolder(dir))).toBe("ERR_STORAGE_LOCKED");
      expect(await code(repairFolder(dir))).toBe("ERR_STORAGE_LOCKED");
    },
    watchers,
  );
  expect(touched.filter((name) => name.startsWith("yparty-replayed-"))).toEqual([]);
  expect(await fs.readFile(kept, "utf8")).toBe("a replayed log's bytes");
  for (const log of await liveLogs(dir)) expect((await fs.stat(path.join(dir, log))).nlink).toBe(1);

  await holder.kill(); // a holder killed -9 leaves no stale hold: the next start opens, and sweeps the leftover
  const storage = await openStorage({ dir });
  storages.push(storage);
  expect((await fs.readdir(dir)).filter((name) => name.startsWith("yparty-replayed-"))).toEqual([]);
});

it("doctor refused in the server's own process leaves the folder held against other processes", async () => {
  const dir = await makeTempDir();
  dirs.push(dir);
  const storage = await openStorage({ dir });
  storages.push(storage);
  await storage.kv("r").put("k", "v");
  expect(await code(checkFolder(dir))).toBe("ERR_STORAGE_LOCKED");

  // (a failed second open of a LevelDB lock in one process drops the process's lock: the other process would link)
  const touched = await namesTouched(
    dir,
    async () => {
      const other = spawnFixture("hold-folder.ts", [dir, "try"]);
      children.push(other);
      const answer = JSON.parse(
        await withTimeout(
          other.waitForLine(() => true),
          CHILD_TIMEOUT_MS,
          "the other process",
        ),
      );
      expect(answer.code).toBe("ERR_STORAGE_LOCKED");
    },
    watchers,
  );
  expect(touched.filter((name) => name.startsWith("yparty-replayed-"))).toEqual([]);
  expect(await storage.kv("r").get("k")).toBe("v");
});
