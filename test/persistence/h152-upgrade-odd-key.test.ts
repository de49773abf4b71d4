/**
 * A format-1 LevelDB folder (or a schema-1 PostgreSQL database) holding a room's key of an odd number of bytes, one at
 * an even offset 0xD8 or more (not a key yparty wrote: damage, another tool). The upgrade took it for a key to re-key,
 * and decoding it as UTF-16 threw: every start failed ("Buffer size must be a multiple of 16-bits"). It is left as it
 * is, as h114 leaves keys too short for their room's prefix.
 */
import { afterAll, afterEach, expect, it } from "vitest";
import { openStorage } from "../../persistence/index.js";
import { roomPrefix } from "../../persistence/kv-codec.js";
import { stopAllEngines } from "../helpers/engines.js";
import { formatOneKey, formatOneRoom, formatOneValue, makeTempDir, removeDir, writeFormatOneKeys, writeRaw } from "./helpers.js";
import { query, schemaOneDatabase } from "./postgres-helpers.js";

afterAll(stopAllEngines);

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await removeDir(dir);
});

it("a key of an odd number of bytes in a format-1 folder: the start upgrades the rest", { timeout: 30_000 }, async () => {
  const dir = await makeTempDir();
  dirs.push(dir);
  await writeFormatOneKeys(dir, 100, 10);
  await writeRaw(dir, (db) => db.put(Buffer.concat([Buffer.from("!kv!"), roomPrefix("main/odd"), Buffer.from([0x41, 0x42, 0xe0])]), Buffer.from("x")));
  const storage = await openStorage({ dir, onWarning: () => undefined });
  try {
    expect(await storage.kv(formatOneRoom(7)).get(formatOneKey(7))).toBe(formatOneValue(10));
  } finally {
    await storage.close();
  }
});

it("PostgreSQL: a key of an odd number of bytes is left as it is; the rest migrate", { timeout: 60_000 }, async () => {
  const url = await schemaOneDatabase([{ room: "main/odd", key: "\uE000 moves" }]);
  // Its byte at an even offset from 0xD8 up: one to re-key, as the pattern sees it, but no UTF-16 string's bytes.
  await query(url, "INSERT INTO room_kv (room, key, value) VALUES ('main/odd', '\\x4142e0'::bytea, '\\x00'::bytea)");
  // Before: ERR_STORAGE_READ, 'its schema migration failed (Buffer size must be a multiple of 16-bits)', at every start.
  const storage = await openStorage({ url, onWarning: () => undefined });
  try {
    expect(await query(url, "SELECT version FROM yparty_schema")).toEqual([{ version: 2 }]);
    expect(await storage.kv("main/odd").get<string>("\uE000 moves")).toBe("\uE000 moves");
    expect(await query(url, "SELECT encode(key, 'hex') AS key FROM room_kv WHERE octet_length(key) = 3")).toEqual([{ key: "4142e0" }]);
  } finally {
    await storage.close();
  }
});
