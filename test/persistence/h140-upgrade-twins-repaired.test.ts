/**
 * The twin-key drop of the format upgrade's step 2 after a repair (h120): a resumed step 2 of a folder LevelDB's repair
 * rebuilt deletes every key whose new-format twin holds the same value, taking it for an old key the repair brought
 * back. A room's own two keys that are each other's old and new bytes (U+E800 and U+E000) with the same value were
 * told apart by nothing, and U+E800 was dropped: a key the room wrote, gone (documented as a limit until helper 140).
 * Step 2 now copies the set-aside entries back and keeps them until it is done, as the record of which keys are new;
 * the drop spares those. An old key brought back is still dropped.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { serialize } from "node:v8";
import { afterEach, expect, it } from "vitest";
import { openStorage, repairFolder } from "../../persistence/index.js";
import { encodeKey, encodeString, roomPrefix } from "../../persistence/kv-codec.js";
import { makeTempDir, removeDir, writeRaw } from "./helpers.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeDir));
});

const utf8 = (text: string) => new TextEncoder().encode(text);
const newKey = (room: string, key: string) => Buffer.concat([roomPrefix(room), encodeKey(key)]);
const oldKey = (room: string, key: string) => Buffer.concat([roomPrefix(room), encodeString(key)]);

it("a room's own twin keys with equal values survive a repair of a folder stopped in step 2; an old key brought back does not", async () => {
  const dir = await makeTempDir();
  dirs.push(dir);
  await writeRaw(dir, async (db) => {
    const kv = db.sublevel<Uint8Array, Uint8Array>("kv", { keyEncoding: "view", valueEncoding: "view" });
    const staging = db.sublevel<Uint8Array, Uint8Array>("kv-upgrade", { keyEncoding: "view", valueEncoding: "view" });
    await db.put(utf8("yparty:format"), utf8("1>2"));
    await db.put(utf8("yparty:upgrade-step"), utf8("kv-order:move-back"));
    // As step 2 leaves a folder now: both twins copied back into kv, their set-aside copies still there.
    for (const key of ["\uE000", "\uE800"]) {
      await staging.put(newKey("main/twins", key), serialize(true));
      await kv.put(newKey("main/twins", key), serialize(true));
    }
    // And a key whose old bytes a repair brought back beside its new ones (its delete in step 1 lost).
    await staging.put(newKey("main/moved", "\uE000x"), serialize("v"));
    await kv.put(newKey("main/moved", "\uE000x"), serialize("v"));
    await kv.put(oldKey("main/moved", "\uE000x"), serialize("v"));
  });
  await fs.rm(path.join(dir, "CURRENT")); // lost: only LevelDB's repair opens the folder, and the step notes it

  expect((await repairFolder(dir)).levelDbRepaired).toBe(true);
  const storage = await openStorage({ dir });
  try {
    expect([...(await storage.kv("main/twins").list())]).toEqual([
      ["\uE000", true],
      ["\uE800", true],
    ]);
    expect([...(await storage.kv("main/moved").list())]).toEqual([["\uE000x", "v"]]);
  } finally {
    await storage.close();
  }
  // the set-aside copies are gone with the upgrade
  await writeRaw(dir, async (db) => {
    const staging = db.sublevel<Uint8Array, Uint8Array>("kv-upgrade", { keyEncoding: "view", valueEncoding: "view" });
    expect(await staging.keys().all()).toEqual([]);
  });
});
