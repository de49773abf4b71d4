/**
 * `mkdir -p`, one folder at a time. Not `fs.mkdir(dir, { recursive: true })`: where a folder cannot be made yet its
 * parent exists (`/proc/x`: ENOENT), Node's recursive mkdir loops for good in a thread of its pool, and the process
 * can then not even exit (`yparty start --persist /proc/x` ignored SIGTERM). Here that is an error, as it should be.
 */
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import type { StorageWarning } from "./types.js";

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

/**
 * A data folder's mode when yparty makes it: its user's alone, as PostgreSQL's data folder and ~/.ssh (the documents
 * in it are the users'). One that exists keeps its own: it is the operator's choice (a group that shares it, a volume).
 */
export const DATA_FOLDER_MODE = 0o700;

/** Makes a data folder (and the folders above it that are missing) with DATA_FOLDER_MODE. */
export function makeDataFolder(dir: string): Promise<void> {
  return makeFolder(dir, DATA_FOLDER_MODE);
}

/**
 * What to tell the operator of a data folder that every local user may enter or read (an "other" bit set; a group's
 * access is left to the operator, as PostgreSQL allows 0750): undefined when it is private enough.
 */
export async function openToOthers(dir: string): Promise<string | undefined> {
  const mode = (await stat(dir)).mode & 0o777;
  if ((mode & 0o007) === 0) return undefined;
  const octal = mode.toString(8).padStart(4, "0");
  return `${dir} can be read by every user of this machine (mode ${octal}): the documents in it are the users'. Run \`chmod 700 ${dir}\` (yparty makes its new data folders 0700 and leaves an existing one's mode to you)`;
}

/**
 * Warns (ERR_STORAGE_PERMISSIONS) when every local user may read the data folder: the one check of a server's open
 * and of the offline commands (doctor, repair), so the operator hears of it whichever they run.
 */
export async function warnIfOpenToOthers(dir: string, onWarning: ((warning: StorageWarning) => void) | undefined): Promise<void> {
  const exposed = await openToOthers(dir);
  if (exposed) onWarning?.({ code: "ERR_STORAGE_PERMISSIONS", message: exposed });
}
