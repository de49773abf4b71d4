/**
 * What `yparty start` prints for a data folder another process holds: the flag that names another folder belongs to
 * "a different data folder", wherever the storage's advice says it. Helper 140's refusal of a folder a program that
 * is not yparty holds ends with its backup advice, and start appended the flag to the message's end, so it read
 * "to back a data folder up, copy it while nothing has it open: --persist <dir>)", the flag attached to the copy.
 * The flag now follows "a different data folder" in both.
 */
import { afterEach, expect, it } from "vitest";
import { openStorage } from "../../persistence/index.js";
import { runCli } from "../cli/helpers.js";
import { spawnReady, type Child } from "./child.js";
import { damageWorkspace, startServer } from "./damage-support.js";

const { running, tempDir } = damageWorkspace();
const children: Child[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()));
});

it("held by a program that is not yparty: the flag follows 'a different data folder', the advice after it", { timeout: 60_000 }, async () => {
  const dir = await tempDir();
  const storage = await openStorage({ dir });
  await storage.kv("main/r").put("k", "v");
  await storage.close();
  await spawnReady("h140-level-holder.ts", [dir], children, "the backup script to open the folder");

  const started = await runCli(["start", "--port", "0", "--persist", dir], { cwd: dir });
  expect(started.code).toBe(1);
  expect(started.stderr).toContain(
    "or start this one with a different data folder: --persist <dir>; to back a data folder up, copy it while nothing has it open)",
  );
  expect(started.stderr).not.toContain("open: --persist");
});

it("held by another yparty server: the flag, then which server it is", { timeout: 60_000 }, async () => {
  const dir = await tempDir();
  const first = await startServer(dir, running);
  const started = await runCli(["start", "--port", "0", "--persist", dir], { cwd: dir });
  expect(started.code).not.toBe(0);
  expect(started.stderr).toContain(
    `in use by another yparty process (stop that process, or start this one with a different data folder: --persist <dir>). It is pid ${first.cli.child.pid}, serving ${first.url}.`,
  );
});
