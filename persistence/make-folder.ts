/**
 * `mkdir -p`, one folder at a time. Not `fs.mkdir(dir, { recursive: true })`: where a folder cannot be made yet its
 * parent exists (`/proc/x`: ENOENT), Node's recursive mkdir loops for good in a thread of its pool, and the process
 * can then not even exit (`yparty start --persist /proc/x` ignored SIGTERM). Here that is an error, as it should be.
 */
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";

/** Makes `dir` and the folders above it that are missing, each with `mode`; a folder that exists keeps its own. */
export async function makeFolder(dir: string, mode?: number): Promise<void> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; ) {
    const found = await stat(at).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (found) {
      if (!found.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a folder, mkdir '${at}'`), { code: "ENOTDIR", path: at });
      break;
    }
    missing.push(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const folder of missing.reverse()) {
    await mkdir(folder, mode === undefined ? {} : { mode }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error; // made by someone else meanwhile
    });
  }
}
