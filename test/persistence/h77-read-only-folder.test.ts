/**
 * A data folder on a file system mounted read-only (a disk remounted read-only after errors, a backup mounted to be
 * looked at): `yparty start`, `doctor` and `repair` say the folder cannot be written and what to do, not that it is
 * damaged and wants `yparty repair` (which rebuilds a healthy database from its tables). Once the file system is
 * read-write again the server serves everything. Needs `mount` (CI runs as root), as test/persistence/disk-full does.
 * (A folder made read-only under a running server cannot be tried so: the kernel refuses to remount read-only while
 * LevelDB holds files open for writing.)
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import { expect, it } from "vitest";
import { runCli } from "../cli/helpers.js";
import { damageWorkspace, postUpdates, roomAnswer, startServer } from "./damage-support.js";

const workspace = damageWorkspace();

it("start, doctor and repair say a read-only folder cannot be written (not that it needs repair); read-write again, it is served", {
  timeout: 60_000,
}, async () => {
  const dir = await workspace.tempDir();
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", dir]);
  try {
    const first = await startServer(dir, workspace.running);
    await postUpdates(first.url, "kept", 3);
    await first.cli.stop("SIGTERM");
    execFileSync("mount", ["-o", "remount,ro", dir]);

    const start = await runCli(["start", "--port", "0", "--persist", dir], { cwd: "/tmp" });
    expect(start.code).toBe(1);
    expect(start.stderr).toContain(`${dir} cannot be opened (`);
    expect(start.stderr).toContain("Read-only file system");
    expect(start.stderr).toContain("Make the folder writable by this user (mount it read-write), or give another data folder");
    expect(start.stderr).not.toContain("repair");
    for (const command of ["doctor", "repair"]) {
      const run = await runCli([command, "--persist", dir], { cwd: "/tmp" });
      expect(run.code, command).toBe(1);
      expect(run.stderr, command).toContain("Make the folder writable by this user");
      expect(run.stderr, command).not.toContain("LevelDB's own repair");
    }

    execFileSync("mount", ["-o", "remount,rw", dir]);
    expect(await fs.readdir(dir)).not.toContain("lost");
    const again = await startServer(dir, workspace.running);
    expect(await roomAnswer(again.url, "kept")).toEqual({ status: 200, keys: 3 });
    await again.cli.stop("SIGTERM");
  } finally {
    execFileSync("umount", ["-l", dir]);
  }
});
