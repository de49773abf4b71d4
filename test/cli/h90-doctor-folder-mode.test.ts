/**
 * `yparty start` warns (ERR_STORAGE_PERMISSIONS) of a data folder every user of the machine may read; `yparty doctor`
 * and `yparty repair`, the commands an operator runs on that same folder when something is wrong, said nothing of it.
 * They now give the same warning, from the same check (persistence/make-folder.ts, warnIfOpenToOthers), once.
 */
import { chmod } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, folderWithTables, runCli } from "./helpers.js";

const defer = deferredCleanups(afterEach);

describe("doctor and repair on a data folder every user may read", () => {
  it.each(["doctor", "repair"])("yparty %s warns as yparty start does, and not of a private folder", async (command) => {
    const { dir, folder } = await folderWithTables("yparty-h90-mode-", defer);
    await chmod(folder, 0o755);
    const open = await runCli([command, "--persist", folder], { cwd: dir });
    expect(open.code, open.stderr).toBe(0);
    const warnings = open.stderr.match(/warning ERR_STORAGE_PERMISSIONS: [^\n]*/g) ?? [];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${folder} can be read by every user of this machine (mode 0755)`);
    expect(warnings[0]).toContain(`chmod 700 ${folder}`);

    await chmod(folder, 0o700);
    const closed = await runCli([command, "--persist", folder], { cwd: dir });
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stderr).not.toContain("ERR_STORAGE_PERMISSIONS");
  });
});
