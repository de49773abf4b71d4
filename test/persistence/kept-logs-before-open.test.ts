/**
 * The logs a server's open replays are linked (kept) before LevelDB opens, so that the open can judge what LevelDB
 * dropped: a write that failed (torn) is a warning, damage an error. The Level was made first, and a Level opens itself
 * on the next tick (abstract-level's deferred open): while the links were still being made (here after the removal of
 * links that earlier starts left), LevelDB replayed the log and deleted it, it was never kept, and a torn write was
 * told as damage, "writes it had acknowledged may be lost" (h140-log-damage-oracle failed so once in a full CI run).
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, expect, it } from "vitest";
import { openStorage, type StorageWarning } from "../../persistence/index.js";
import { removeDir } from "./helpers.js";
import { batchOf, folderWithLog, HEADER, nextSeq, record, renumbered } from "./torn-log-support.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

it("a torn write is told as torn, not damage, however long the open takes to keep the logs", async () => {
  const folder = await folderWithLog(dirs, [(log, puts) => record(log, puts, 1), () => "v".repeat(600), () => "v".repeat(600)]);
  const { log, puts: records, file, dir } = folder;
  const last = records.at(-1)!;
  const next = nextSeq(log, records);
  const count = batchOf(log, last).count;
  const torn = renumbered(log, last, next).subarray(0, HEADER + 12 + 40);
  const later = [1, 2].map((i) => renumbered(log, records[5 + i]!, next + i * count));
  await fs.writeFile(file, Buffer.concat([log, torn, ...later]));
  // Links earlier starts left (each removed before the logs are kept): the keeping takes a while.
  await Promise.all(Array.from({ length: 3000 }, (_, i) => fs.writeFile(path.join(dir, `yparty-replayed-${String(900000 + i)}.log`), "")));

  const seen: StorageWarning[] = [];
  const storage = await openStorage({ dir, onWarning: (warning) => seen.push(warning) });
  const stored = await storage.kv("r").list();
  await storage.close();
  expect(records.map((_, i) => `k${i}`).filter((key) => !stored.has(key))).toEqual([]);
  expect(seen.filter((warning) => warning.level === "error").map((warning) => warning.message)).toEqual([]);
  expect(seen.map((warning) => warning.message).join("\n")).toMatch(/torn end of a write that failed.*nothing acknowledged was lost/);
});
