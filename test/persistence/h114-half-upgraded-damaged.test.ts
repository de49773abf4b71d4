/**
 * A folder half-way through its format upgrade (a server stopped during it) whose tables were then damaged (a bad
 * disk), as an operator meets it (h114). Before: `yparty start` failed with "unexpected failure: … LEVEL_CORRUPTION"
 * and no advice; `yparty doctor` and `yparty repair` refused the folder, sending the operator back to `yparty start`:
 * no way out. Now the start says to repair, the repair repairs it, and the next start finishes the upgrade.
 */
import { Level } from "level";
import { expect, test } from "vitest";
import { CliProcess, runCli } from "../cli/helpers.js";
import { damageWorkspace, flipBytes, largestFile, repair } from "./damage-support.js";
import { writeFormatOneKeys, writeRaw } from "./helpers.js";

const workspace = damageWorkspace();

async function markOf(dir: string): Promise<string> {
  const db = new Level<string, string>(dir);
  await db.open();
  try {
    return (await db.get("yparty:format")) ?? "none";
  } finally {
    await db.close();
  }
}

test("a half-upgraded folder with a damaged table: start says to repair, repair repairs it, the next start finishes the upgrade", {
  timeout: 60_000,
}, async () => {
  const dir = await workspace.tempDir();
  await writeFormatOneKeys(dir, 20_000, 200);
  await writeRaw(dir, async (db) => {
    // In tables, as in a folder that served a while, and marked as a start left it when stopped half-way.
    await (db as unknown as { compactRange(start: Uint8Array, end: Uint8Array): Promise<void> }).compactRange(new Uint8Array([0]), new Uint8Array([255]));
    await db.put(new TextEncoder().encode("yparty:format"), new TextEncoder().encode("1>2"));
  });
  await flipBytes(await largestFile(dir, "ldb"), 0.5, 64);

  const started = await runCli(["start", "--port", "0", "--persist", dir], { cwd: dir, timeoutMs: 30_000 });
  expect(started.code).not.toBe(0);
  expect(started.stderr).not.toContain("unexpected failure");
  expect(started.stderr).toContain(`yparty repair --persist ${dir}`);

  const repaired = await repair(dir);
  expect(repaired.stderr).not.toContain("half-way");
  expect(repaired.code).toBe(0);

  const server = new CliProcess(["start", "--port", "0", "--persist", dir], { cwd: dir });
  workspace.running.add(server);
  await server.url();
  expect(await server.stop()).toBe(0);
  expect(await markOf(dir)).toBe("2");
});
