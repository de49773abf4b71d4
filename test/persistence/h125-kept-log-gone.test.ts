/**
 * A start judging what LevelDB dropped reads the logs it kept (leveldb-log.ts). Another start on the same folder, run
 * at the same moment (before LevelDB's lock refuses it), removes them as leftovers of a stopped start; the first start
 * then failed: 'Could not open …: ENOENT … yparty-replayed-….log'. A kept log gone tells nothing: the drop is told as
 * damage (the cautious side), and the start goes on.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, expect, it } from "vitest";
import { keepLogs, onlyTornWritesDropped } from "../../persistence/leveldb-log.js";
import { removeDir } from "./helpers.js";
import { folderWithLog, tearLog } from "./torn-log-support.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

it("a kept log removed by another start meanwhile: the drop is judged damage, not an error of the open", async () => {
  const folder = await folderWithLog(dirs);
  await tearLog(folder);
  const kept = await keepLogs(folder.dir);
  const [number, file] = [...kept.files][0]!;
  const dropped = [`(ignoring error) ${path.join(folder.dir, `${String(number).padStart(6, "0")}.log`)}: dropping 33 bytes; Corruption: checksum mismatch`];
  expect(await onlyTornWritesDropped(dropped, kept)).toBe(true);
  await fs.rm(file); // the other start's cleanup
  expect(await onlyTornWritesDropped(dropped, kept)).toBe(false);
  await kept.release();
});
