/**
 * What a LevelDB data folder holds, read before LevelDB opens it: opening creates files (LOCK, LOG) in any folder, and,
 * with `createIfMissing`, a new empty database in a folder whose CURRENT is gone, deleting the tables it does not know.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { StorageError } from "./types.js";

/**
 * `absent`: no such folder; `empty`: no LevelDB file in it; `database`: a database (its CURRENT names its MANIFEST);
 * `no-current`: LevelDB files without the CURRENT that names them (a crash while it was replaced, a copy that missed
 * it): the data is in the tables, which only a repair can open.
 */
export type LevelFolderState = "absent" | "empty" | "database" | "no-current";

const LEVEL_FILE = /^(CURRENT|MANIFEST-\d+|\d+\.(ldb|sst|log))$/;

export async function levelFolderState(location: string): Promise<LevelFolderState> {
  const files = await fs.readdir(location).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (files === undefined) return "absent";
  // (a CURRENT that is a link to nothing is none: LevelDB looks through the link)
  if (files.includes("CURRENT") && (await fs.stat(path.join(location, "CURRENT")).catch(() => undefined))?.isFile()) return "database";
  return files.some((file) => LEVEL_FILE.test(file)) ? "no-current" : "empty";
}

/** The error for a folder LevelDB cannot open as it is (`why`): what is wrong, and what to run. */
export function needsRepairError(location: string, why: string, cause?: unknown): StorageError {
  const folder = path.resolve(location);
  return new StorageError(
    "ERR_STORAGE_CORRUPT",
    `${folder} ${why}. Run "yparty doctor --persist ${folder}", then "yparty repair --persist ${folder}" to rebuild it ` + "from its tables.",
    cause === undefined ? undefined : { cause },
  );
}

/**
 * A folder LevelDB could not open because it may not write there (a read-only file system or mount, no permission):
 * said as such, not as damage, whose advice (`yparty repair`) would be wrong. `undefined` for any other failure.
 */
export function notWritableError(location: string, error: unknown): StorageError | undefined {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const reason = cause instanceof Error ? cause.message : String(cause);
  if (!/Read-only file system|Permission denied|EROFS|EACCES|EPERM/.test(reason)) return undefined;
  return new StorageError(
    "ERR_STORAGE_NOT_WRITABLE",
    `${path.resolve(location)} cannot be opened (${reason}): LevelDB writes to its data folder even to read it (its LOCK ` +
      `file and log). Make the folder writable by this user (mount it read-write), or give another data folder. Its data ` +
      `was not touched`,
    { cause: error },
  );
}

/** The error for a folder whose CURRENT is gone. */
export function noCurrentError(location: string): StorageError {
  return needsRepairError(
    location,
    "holds LevelDB tables but no CURRENT file (it names the database's MANIFEST): opened as it is, LevelDB would start " + "an empty database and delete them",
  );
}
