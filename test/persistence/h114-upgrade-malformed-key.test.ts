/**
 * A format-1 folder holding, under the room data's sublevel, keys no yparty wrote (too short for the room id they
 * start with: damage, another tool): the upgrade leaves them as they are and the start goes on. Before, every start
 * failed: "unexpected failure: Could not open …: ERR_BUFFER_OUT_OF_BOUNDS", with nothing to do about it. (h114)
 */
import { afterEach, expect, it } from "vitest";
import { CliProcess } from "../cli/helpers.js";
import { formatOneKey, formatOneRoom, formatOneValue, makeTempDir, removeDir, writeFormatOneKeys, writeRaw } from "./helpers.js";
import { openStorage } from "../../persistence/index.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await removeDir(dir);
});

it("keys shorter than their room id in a format-1 folder: the start upgrades the rest and listens", { timeout: 30_000 }, async () => {
  const dir = await makeTempDir();
  dirs.push(dir);
  await writeFormatOneKeys(dir, 100, 10);
  await writeRaw(dir, async (db) => {
    await db.put(Buffer.from("!kv!\u0000\u0000"), Buffer.from("x"));
    await db.put(Buffer.concat([Buffer.from("!kv!"), Buffer.from([0, 0, 0, 9, 0x61, 0x62, 0xd8, 0])]), Buffer.from("x"));
  });
  const cli = new CliProcess(["start", "--port", "0", "--persist", dir], { cwd: dir });
  try {
    await cli.url();
  } finally {
    expect(await cli.stop()).toBe(0);
  }
  expect(cli.stderr).not.toContain("unexpected failure");
  // Upgraded: every key yparty wrote is read under its own name.
  const storage = await openStorage({ dir, onWarning: () => undefined });
  try {
    expect(await storage.kv(formatOneRoom(7)).get(formatOneKey(7))).toBe(formatOneValue(10));
  } finally {
    await storage.close();
  }
});
