/**
 * A folder stopped in step 2 of its format upgrade (room.storage keys put back under their new keys), then damaged:
 * `yparty repair` runs LevelDB's repair, which may bring back an old key step 1 had deleted (the table holding that
 * delete was damaged) beside its new one. Here the folder lost its CURRENT (so the repair runs) and holds such old keys
 * as a repair that lost their deletes leaves them. The start that finishes the upgrade then left it in the
 * room's storage as a key nobody wrote (its old bytes read in the new format), with the old value. Now the new key
 * wins: the resumed upgrade drops every old key whose new key holds the same value. A room's own pair of keys that
 * are each other's old and new bytes, with different values, is kept.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { serialize } from "node:v8";
import { afterEach, expect, it } from "vitest";
import { openStorage, repairFolder } from "../../persistence/index.js";
import { encodeKey, encodeString, roomPrefix } from "../../persistence/kv-codec.js";
import { formatOneKey, formatOneRoom, formatOneValue, makeTempDir, removeDir, writeFormatOneKeys, writeRaw } from "./helpers.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

const KEYS = 10;
const utf8 = (text: string) => new TextEncoder().encode(text);

it("a repair during step 2 of the upgrade leaves no old key beside its new one", { timeout: 30_000 }, async () => {
  const dir = await makeTempDir();
  dirs.push(dir);
  await writeFormatOneKeys(dir, KEYS, 100);
  const value = serialize(formatOneValue(100));
  const oldKey = (i: number) => Buffer.concat([roomPrefix(formatOneRoom(i)), encodeString(formatOneKey(i))]);
  const newKey = (i: number) => Buffer.concat([roomPrefix(formatOneRoom(i)), encodeKey(formatOneKey(i))]);
  const twins = (key: string) => Buffer.concat([roomPrefix("main/twins"), encodeKey(key)]);
  await writeRaw(dir, async (db) => {
    const kv = db.sublevel<Uint8Array, Uint8Array>("kv", { keyEncoding: "view", valueEncoding: "view" });
    // Stopped in step 2 (as kv-key-upgrade.ts leaves a folder): keys 0-4 put back under their new keys, 5-9 still set
    // aside; the old keys of 0-2 and 5-6 brought back by the repair (their deletes lost), the others deleted.
    const staging = db.sublevel<Uint8Array, Uint8Array>("kv-upgrade", { keyEncoding: "view", valueEncoding: "view" });
    await db.put(utf8("yparty:format"), utf8("1>2"));
    await db.put(utf8("yparty:upgrade-step"), utf8("kv-order:move-back"));
    for (let i = 0; i < KEYS; i++) {
      if (i < 5) await kv.put(newKey(i), value);
      else await staging.put(newKey(i), value);
      if (![0, 1, 2, 5, 6].includes(i)) await kv.del(oldKey(i));
    }
    // A room's own keys U+E000 and U+E800: the new bytes of the one are the old bytes of the other.
    await staging.put(twins("\uE000"), serialize("first"));
    await kv.put(twins("\uE800"), serialize("second"));
  });
  await fs.rm(path.join(dir, "CURRENT")); // lost (a crash while LevelDB replaced it): only its repair opens the folder

  const repaired = await repairFolder(dir);
  expect(repaired.levelDbRepaired).toBe(true);
  const storage = await openStorage({ dir });
  try {
    for (let i = 0; i < KEYS; i++) {
      expect([...(await storage.kv(formatOneRoom(i)).list())], `room of key ${i}`).toEqual([[formatOneKey(i), formatOneValue(100)]]);
    }
    expect([...(await storage.kv("main/twins").list())]).toEqual([
      ["\uE000", "first"],
      ["\uE800", "second"],
    ]);
  } finally {
    await storage.close();
  }
});
