/**
 * Who holds a LevelDB folder's `LOCK`, for the error that refuses it: "in use by another process" sent operators
 * looking for a second yparty when a backup script (level, classic-level) held it. LevelDB's lock is an fcntl lock,
 * which Linux lists in /proc/locks with the holder's pid and the file's device and inode. Elsewhere (or a holder in
 * another pid namespace) nothing is known, and the error says what it can without it.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { lockedError } from "./errors.js";
import type { StorageError } from "./types.js";

/** yparty's own hold on a data folder (folder-hold.ts): a tiny LevelDB under this name inside it. */
export const HOLD_FOLDER = "yparty-lock";

export interface Holder {
  pid: number;
  /** Its command line, when it can be read (`node backup.mjs`). */
  command?: string;
}

/** The process holding an fcntl write lock on `<location>/<file>` (default LevelDB's LOCK), if Linux says which. */
export async function holderOf(location: string, file = "LOCK"): Promise<Holder | undefined> {
  const [stat, locks] = await Promise.all([fs.stat(path.join(location, file)).catch(() => undefined), fs.readFile("/proc/locks", "utf8").catch(() => "")]);
  if (!stat) return undefined;
  // Device as major:minor in hex (Linux's dev_t: minor's low byte, then major's 12 bits, then minor's high bits).
  const major = (stat.dev >> 8) & 0xfff;
  const minor = (stat.dev & 0xff) | ((stat.dev >> 12) & 0xfff00);
  for (const line of locks.split("\n")) {
    // "1: POSIX  ADVISORY  WRITE 19467 fe:00:4278089 0 EOF"
    const m = /^\d+:\s+POSIX\s+\S+\s+WRITE\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (!m || Number(m[4]) !== stat.ino || Number.parseInt(m[2]!, 16) !== major || Number.parseInt(m[3]!, 16) !== minor) continue;
    const pid = Number(m[1]);
    if (pid <= 0) return undefined; // a holder outside this pid namespace
    const command = await fs.readFile(`/proc/${pid}/cmdline`, "utf8").then(
      (text) => text.split("\0").filter(Boolean).join(" ") || undefined,
      () => undefined,
    );
    return command ? { pid, command } : { pid };
  }
  return undefined;
}

/** `process 1234 (node backup.mjs)`, `this process`, or `another process` when nothing is known. */
export function describeHolder(holder: Holder | undefined): string {
  if (!holder) return "another process";
  if (holder.pid === process.pid) return `this process (${holder.pid})`;
  const command = holder.command && holder.command.length > 200 ? `${holder.command.slice(0, 200)}…` : holder.command;
  return command ? `process ${holder.pid} (${command})` : `process ${holder.pid}`;
}

/**
 * The refusal of a folder whose LevelDB lock another process holds: a yparty process (it holds yparty's hold too; the
 * CLI names it from its server.json) or, named here, a program that opened the database without the hold (a backup
 * script), which stopping "the other yparty" would not find.
 */
export async function heldError(location: string, cause?: unknown): Promise<StorageError> {
  if (await holderOf(path.join(location, HOLD_FOLDER))) return lockedError(location, cause);
  const other = await holderOf(location);
  return other ? foreignHoldError(location, other, cause) : lockedError(location, cause);
}

/** LevelDB's lock held by a process that does not hold yparty's: not a yparty server of this version. */
export function foreignHoldError(location: string, holder: Holder, cause?: unknown): StorageError {
  if (holder.pid === process.pid) {
    // (an embedder's own `level` of the folder, left open: there is no other program to stop)
    return lockedError(
      location,
      cause,
      `${describeHolder(holder)}, which opened its LevelDB database without yparty (a level or classic-level database ` +
        "of it still open), and LevelDB lets one open of a folder at a time",
      "close that database first, or give this storage a different data folder",
    );
  }
  return lockedError(
    location,
    cause,
    `${describeHolder(holder)}, a program that opened its LevelDB database without yparty's hold: not a yparty server, ` +
      "but a program using LevelDB on it (a backup or inspection script using level or classic-level, or an older " +
      "yparty), and LevelDB lets one process at a time open a folder",
    "stop that program, or start this one with a different data folder; to back a data folder up, copy it while nothing has it open",
  );
}
