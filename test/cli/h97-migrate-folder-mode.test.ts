/**
 * `yparty start`, `doctor` and `repair` warn (ERR_STORAGE_PERMISSIONS) of a data folder every user of the machine may
 * read; `yparty migrate`, which reads the same folder, said nothing of it. It now gives the same warning, from the
 * same check (persistence/make-folder.ts, warnIfOpenToOthers), once, and none for a private folder.
 */
import { chmod } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { startPostgres, stopAllEngines } from "../helpers/engines.js";
import { deferredCleanups, folderWithTables, runCli } from "./helpers.js";

const defer = deferredCleanups(afterEach);
afterEach(stopAllEngines);

describe("migrate from a data folder every user may read", () => {
  it("warns as yparty start does, and not of a private folder", async () => {
    const { dir, folder } = await folderWithTables("yparty-h97-mode-", defer);
    const { url } = await startPostgres();
    await chmod(folder, 0o755);
    const open = await runCli(["migrate", "--from", folder, "--to", url], { cwd: dir });
    expect(open.code, open.stderr).toBe(0);
    expect(open.stdout).toContain("3 document(s) copied");
    const warnings = open.stderr.match(/warning ERR_STORAGE_PERMISSIONS: [^\n]*/g) ?? [];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${folder} can be read by every user of this machine (mode 0755)`);
    expect(warnings[0]).toContain(`chmod 700 ${folder}`);

    await chmod(folder, 0o700);
    const closed = await runCli(["migrate", "--from", folder, "--to", url], { cwd: dir });
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stderr).not.toContain("ERR_STORAGE_PERMISSIONS");
  });
});
