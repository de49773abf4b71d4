/**
 * `yparty doctor` reads every room's key-value data to find a damaged table. It read it in pages, each a new range
 * read with a limit; such a read that meets a damaged block ends there without an error (classic-level), so the
 * check took the short page for the end: the folder was reported clean and `yparty repair` did not run LevelDB's
 * repair, while the rooms' reads failed with "Corruption: bad block type". The check now reads the data with one
 * iterator, a page at a time, which does report the damage.
 */
import * as fs from "node:fs/promises";
import { afterEach, expect, it } from "vitest";
import { checkFolder, repairFolder } from "../../persistence/index.js";
import { encodeString, roomPrefix } from "../../persistence/kv-codec.js";
import { flipBytes, largestFile } from "./damage-support.js";
import { makeTempDir, removeDir, writeRaw } from "./helpers.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

it("finds a damaged block of the rooms' data, and the repair repairs it", { timeout: 30_000 }, async () => {
  const dir = await makeTempDir();
  dirs.push(dir);
  await writeRaw(dir, async (db) => {
    const kv = db.sublevel<Uint8Array, Uint8Array>("kv", { keyEncoding: "view", valueEncoding: "view" });
    // Compressible values, in a table: a damaged block fails to decompress.
    await kv.batch(
      Array.from({ length: 3_000 }, (_, i) => ({
        type: "put" as const,
        key: Buffer.concat([roomPrefix("main/r"), encodeString(`k${i}`)]),
        value: Buffer.from(`${i}`.padEnd(2_000, "x")),
      })),
    );
    await (db as unknown as { compactRange(start: Uint8Array, end: Uint8Array): Promise<void> }).compactRange(new Uint8Array([0]), new Uint8Array([255]));
    await db.put(new TextEncoder().encode("yparty:format"), new TextEncoder().encode("2"));
  });
  await flipBytes(await largestFile(dir, "ldb"), 0.5, 4_096);

  const report = await checkFolder(dir);
  expect(report.unreadableRoomData).toMatch(/Corruption/);
  const repaired = await repairFolder(dir);
  expect(repaired.levelDbRepaired).toBe(true);
  expect(repaired.after.unreadableRoomData).toBeUndefined();
  expect((await fs.readdir(dir)).includes("lost")).toBe(true);
});
