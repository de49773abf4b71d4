/** The LevelDB data folder as `openStorage` makes it: its own user's alone, like PostgreSQL's. */
import { mkdtemp, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { openStorage } from "../../persistence/index.js";

const folders: string[] = [];
afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

it("a data folder it creates is readable by its user alone (0700); one that exists keeps its mode", async () => {
  const parent = await mkdtemp(join(tmpdir(), "yparty-folder-"));
  folders.push(parent);
  const created = join(parent, "a", "data");
  const storage = await openStorage({ dir: created });
  await storage.close();
  // Before: 0755 (documents readable by every local user; the admin token's server.json is 0600).
  expect((await stat(created)).mode & 0o777).toBe(0o700);
  expect((await stat(join(parent, "a"))).mode & 0o777).toBe(0o700);

  const existing = join(parent, "shared");
  await mkdir(existing, { mode: 0o750 });
  await writeFile(join(existing, ".keep"), "");
  await (await openStorage({ dir: existing })).close();
  expect((await stat(existing)).mode & 0o777).toBe(0o750);
});
