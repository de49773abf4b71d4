/**
 * The resumed step 2 of the format upgrade drops an old key brought back by LevelDB's repair when its new key holds
 * the same value (h120). Attacked: a room that wrote both keys of such a pair itself (U+E000 and U+E800: the new bytes
 * of the one are the old bytes of the other), with the same value, in a folder stopped in step 2 that no repair touched:
 * both stay. (After a repair the two cannot be told apart and the one read as old is dropped: docs/persistence.md.)
 */
import { serialize } from "node:v8";
import { afterEach, expect, it } from "vitest";
import { openStorage } from "../../persistence/index.js";
import { encodeKey, roomPrefix } from "../../persistence/kv-codec.js";
import { makeTempDir, removeDir, writeRaw } from "./helpers.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

const utf8 = (text: string) => new TextEncoder().encode(text);

it("a room's own twin keys with equal values, in a folder stopped in step 2 without a repair: both kept", async () => {
  const dir = await makeTempDir();
  dirs.push(dir);
  const twins = (key: string) => Buffer.concat([roomPrefix("main/twins"), encodeKey(key)]);
  await writeRaw(dir, async (db) => {
    const kv = db.sublevel<Uint8Array, Uint8Array>("kv", { keyEncoding: "view", valueEncoding: "view" });
    const staging = db.sublevel<Uint8Array, Uint8Array>("kv-upgrade", { keyEncoding: "view", valueEncoding: "view" });
    await db.put(utf8("yparty:format"), utf8("1>2"));
    await db.put(utf8("yparty:upgrade-step"), utf8("kv-order:move-back"));
    await staging.put(twins("\uE000"), serialize(true));
    await kv.put(twins("\uE800"), serialize(true));
  });

  const storage = await openStorage({ dir });
  try {
    expect([...(await storage.kv("main/twins").list())]).toEqual([
      ["\uE000", true],
      ["\uE800", true],
    ]);
  } finally {
    await storage.close();
  }
});
