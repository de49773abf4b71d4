/**
 * The storage errors the engines share, worded in one place: what failed, on what (`docSubject`, `roomSubject`), in
 * which folder or database, and what the operator does about it (free space, stop the other process, `yparty doctor`,
 * `yparty repair`).
 */
import { describeDamage, type Damage } from "./ack-record.js";
import { defaults } from "./defaults.js";
import { replayRoom } from "./leveldb-log.js";
import { megabytes } from "./progress.js";
import { StorageError } from "./types.js";

/** The readable reason of an unknown failure, for messages. */
export function reasonOf(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    // Node's file system errors spell their code first already ("ENOENT: no such file or directory, mkdir …").
    return typeof code === "string" && !cause.message.startsWith(code) ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

/** A write that did not land. `subject` names what was written, e.g. `document "main/a"`. */
export function writeError(subject: string, location: string, cause: unknown): StorageError {
  if (cause instanceof StorageError) return cause;
  const full = isDiskFull(cause);
  // What to do: the same words as the write guard's refusal while the disk stays full.
  const todo = full ? `. The disk is full: free space on it, writes resume once space returns` : "";
  return new StorageError(full ? "ERR_STORAGE_FULL" : "ERR_STORAGE_WRITE", `Could not write ${subject} to ${location}: ${reasonOf(cause)}${todo}`, {
    cause,
  });
}

/** A read that failed. One LevelDB failed for damaged files says what to do about it. */
export function readError(subject: string, location: string, cause: unknown): StorageError {
  if (cause instanceof StorageError) return cause;
  const damaged = /LEVEL_CORRUPTION|LEVEL_IO_ERROR/.test(reasonOf(cause)) ? ` (damaged storage? Stop the server and run "yparty doctor")` : "";
  return new StorageError("ERR_STORAGE_READ", `Could not read ${subject} from ${location}: ${reasonOf(cause)}${damaged}`, { cause });
}

/**
 * A folder LevelDB could not open for want of space (its open writes the log it replays into a table): said as such,
 * not as damage, whose advice (`yparty repair`, itself a rewrite of the tables) would be wrong, with how much room the
 * open takes and how much there is (the operator frees that much, or moves the folder). `undefined` otherwise.
 */
export async function fullDiskOpenError(location: string, error: unknown): Promise<StorageError | undefined> {
  if (!isDiskFull(error)) return undefined;
  const room = await replayRoom(location).catch(() => undefined);
  const log = room && megabytes(room.needed - defaults.reopenMinFreeBytes);
  const howMuch = !room
    ? ""
    : room.free < room.needed
      ? `: the open takes some ${megabytes(room.needed)} free (its write-ahead log, ${log}, written as a table, and ` +
        `${megabytes(defaults.reopenMinFreeBytes)} more), and ${megabytes(room.free)} is free`
      : `: the open took more than the ${megabytes(room.free)} free (its write-ahead log is ${log})`;
  return new StorageError(
    "ERR_STORAGE_FULL",
    `${location} cannot be opened (${reasonOf((error as { cause?: unknown }).cause ?? error)}): LevelDB's open writes what its log ` +
      `holds into a table, and the disk is full${howMuch}. Free space on it and start again; its data was not touched`,
    { cause: error },
  );
}

/** LevelDB reports a full disk as an IO error whose text carries the OS's (ENOSPC). */
function isDiskFull(cause: unknown): boolean {
  // A reopen that failed for want of space (write-guard.ts) wraps the IO error: look down the causes.
  for (let error = cause; error; error = (error as { cause?: unknown }).cause) {
    if (/No space left on device|ENOSPC|Disk quota exceeded|EDQUOT|File too large|EFBIG/.test(reasonOf(error))) return true;
  }
  return false;
}

/** A document known to miss acknowledged writes (ack-record.ts); loads refuse it until `yparty repair`. */
export function damagedError(name: string, location: string, damage: Damage): StorageError {
  return new StorageError(
    "ERR_DOCUMENT_DAMAGED",
    `${docSubject(name)} in ${location} is damaged: ${describeDamage(damage)}. It is not served until an operator ` +
      `stops the server and runs "yparty repair" to accept what is left ("yparty doctor" lists every damaged document)`,
  );
}

/**
 * The folder is held by another process (or already opened by this one). `holder` says who, as folder-holder.ts finds
 * out (`heldError`), and what to do about a holder that is not a yparty server.
 */
export function lockedError(
  location: string,
  cause?: unknown,
  holder = "another yparty process",
  todo = "stop that process, or start this one with a different data folder",
): StorageError {
  return new StorageError("ERR_STORAGE_LOCKED", `${location} is in use by ${holder} (${todo})`, { cause });
}

/** Whether a refusal of a held folder names a yparty process as its holder (not a program folder-holder.ts named). */
export const heldByYparty = (error: StorageError): boolean =>
  error.code === "ERR_STORAGE_LOCKED" && / is in use by another yparty process /.test(error.message);

/** Writes after `close()`. */
export function closedError(subject: string, location: string): StorageError {
  return new StorageError("ERR_STORAGE_WRITE", `Could not write ${subject} to ${location}: the storage is closed`);
}

/** Bad arguments from the caller (a non-string key, an uncloneable value, contradicting list options). */
export function invalidArgument(message: string, cause?: unknown): StorageError {
  return new StorageError("ERR_STORAGE_INVALID_ARGUMENT", message, { cause });
}

export const docSubject = (name: string): string => `document ${JSON.stringify(name)}`;
export const roomSubject = (room: string): string => `room ${JSON.stringify(room)}`;
