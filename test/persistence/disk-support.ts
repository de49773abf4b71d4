/** A small real disk for disk-full tests: a tmpfs, and a file that fills it. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";

/**
 * Mounts a tmpfs of `size` at `dir`. Needs `mount` (CI runs as root); where mounting is not permitted it throws and
 * says so: a disk-full test must not pass without having filled a disk.
 */
export function mountTmpfs(dir: string, size = "8m"): void {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
  } catch (error) {
    const reason = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    throw new Error(
      `The disk-full test needs a small tmpfs and could not mount one at ${dir} (${reason}). ` +
        `Run the tests as root (CI does), or in a container allowed to mount (--cap-add SYS_ADMIN).`,
    );
  }
}

export function unmount(dir: string): void {
  execFileSync("umount", ["-l", dir]);
}

/** Writes a file until the disk refuses; resolves with its path. */
export async function fillDisk(dir: string): Promise<string> {
  const filler = path.join(dir, "filler");
  const handle = await fs.open(filler, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    await handle.close();
  }
  return filler;
}
