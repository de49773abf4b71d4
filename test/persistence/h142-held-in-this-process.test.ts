/**
 * A data folder whose LevelDB database this very process opened without yparty (an embedder's own `level` of it, left
 * open): helper 140's refusal named "this process (<pid>)" and then told it to "stop that program". The advice is to
 * close that other open of it (or give the storage another folder), which is what it says now.
 */
import { Level } from "level";
import { afterEach, expect, it } from "vitest";
import { openStorage } from "../../persistence/index.js";
import { makeTempDir, removeDir } from "./helpers.js";

const dirs: string[] = [];
const dbs: Level[] = [];
afterEach(async () => {
  await Promise.all(dbs.splice(0).map((db) => db.close()));
  await Promise.all(dirs.splice(0).map(removeDir));
});

it("openStorage on a folder this process opened with level: ERR_STORAGE_LOCKED saying to close that open", async () => {
  const dir = await makeTempDir();
  dirs.push(dir);
  const first = await openStorage({ dir });
  await first.kv("main/r").put("k", "v");
  await first.close();
  const db = new Level(dir, { createIfMissing: false });
  dbs.push(db);
  await db.open();

  const refusal = await openStorage({ dir }).then(
    async (storage) => {
      await storage.close();
      return { code: "opened", message: "" };
    },
    (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }),
  );
  expect(refusal.code).toBe("ERR_STORAGE_LOCKED");
  expect(refusal.message).toContain(`${dir} is in use by this process (${process.pid})`);
  expect(refusal.message).toContain("close that database first");
  expect(refusal.message).not.toContain("stop that program");

  await db.close();
  dbs.length = 0;
  const storage = await openStorage({ dir }); // once closed, the folder opens
  expect(await storage.kv("main/r").get("k")).toBe("v");
  await storage.close();
});
