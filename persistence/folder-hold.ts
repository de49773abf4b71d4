/**
 * yparty's own hold on a LevelDB data folder, taken before anything in it is touched. LevelDB takes its lock (an
 * fcntl lock on `LOCK`) inside its open, and replays and deletes its write-ahead logs right after; yparty links those
 * logs before that open (leveldb-log.ts `keepLogs`), so LevelDB's lock comes too late to stop a second start on a
 * folder a server holds: it removed the running server's kept links and linked its live log, a link that held the
 * log's disk space until some later start when that second start was killed before releasing it.
 *
 * Node cannot take an fcntl lock, so the hold is a tiny LevelDB of its own in the folder (`yparty-lock/`: a name
 * LevelDB's open, repair and cleanup ignore), whose open takes the same lock: exclusive between processes (and within
 * one), released by the system when its process dies. Every yparty opener that links logs (a server's open, doctor,
 * repair) takes it first and a server holds it while open, so only the process that will hold LevelDB's lock links or
 * sweeps logs.
 *
 * A program that is not yparty (a backup script using classic-level) takes LevelDB's lock without the hold. So the hold
 * is also refused while another process holds LevelDB's `LOCK` (as Linux's /proc/locks says; elsewhere LevelDB's open
 * refuses it later, after the logs were linked and released), naming it (folder-holder.ts).
 */
import * as path from "node:path";
import { Level } from "level";
import { lockedError } from "./errors.js";
import { foreignHoldError, heldError, holderOf, HOLD_FOLDER } from "./folder-holder.js";

/**
 * Folders this process holds, the one record of them: LevelDB's lock does not stop a second open in the same process
 * (and a failed second open of the hold would close its own descriptor of `LOCK`, which drops every fcntl lock this
 * process has on it, the first hold's too), so that case is refused here.
 */
const held = new Set<string>();

export interface FolderHold {
  release(): Promise<void>;
}

/**
 * Holds `location` (which exists), or throws `ERR_STORAGE_LOCKED` when another yparty process (or this one) holds it.
 * A hold that cannot be made for another reason (a folder that cannot be written, a full disk) is none: LevelDB's own
 * open then says what is wrong, as it did before.
 */
export async function holdFolder(location: string): Promise<FolderHold> {
  if (held.has(location)) throw lockedError(location);
  held.add(location);
  const db = new Level(path.join(location, HOLD_FOLDER), { createIfMissing: true });
  try {
    await db.open();
  } catch (error) {
    if ((error as { cause?: { code?: unknown } }).cause?.code === "LEVEL_LOCKED") {
      held.delete(location);
      throw await heldError(location, error);
    }
    // Still held in this process: LevelDB's lock does not stop a second open in the same process.
    return { release: async () => void held.delete(location) };
  }
  const other = await holderOf(location);
  if (other) {
    await db.close();
    held.delete(location);
    throw foreignHoldError(location, other);
  }
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await db.close();
      held.delete(location);
    },
  };
}
