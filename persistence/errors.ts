import { StorageError } from "./types.js";

/** The readable reason of an unknown failure, for messages. */
export function reasonOf(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

/** A write that did not land. `subject` names what was written, e.g. `document "main/a"`. */
export function writeError(subject: string, location: string, cause: unknown): StorageError {
  if (cause instanceof StorageError) return cause;
  return new StorageError(
    "ERR_STORAGE_WRITE",
    `Could not write ${subject} to ${location}: ${reasonOf(cause)}`,
    { cause },
  );
}

/** A read that failed. */
export function readError(subject: string, location: string, cause: unknown): StorageError {
  if (cause instanceof StorageError) return cause;
  return new StorageError(
    "ERR_STORAGE_READ",
    `Could not read ${subject} from ${location}: ${reasonOf(cause)}`,
    { cause },
  );
}

/** The folder is held by another process (or already opened by this one). */
export function lockedError(location: string, cause?: unknown): StorageError {
  return new StorageError(
    "ERR_STORAGE_LOCKED",
    `${location} is in use by another yparty process (stop that process, or start this one with a different ` +
      `data folder)`,
    { cause },
  );
}

/** Writes after `close()`. */
export function closedError(subject: string, location: string): StorageError {
  return new StorageError(
    "ERR_STORAGE_WRITE",
    `Could not write ${subject} to ${location}: the storage is closed`,
  );
}

/** Bad arguments from the caller (a non-string key, an uncloneable value, contradicting list options). */
export function invalidArgument(message: string, cause?: unknown): StorageError {
  return new StorageError("ERR_STORAGE_INVALID_ARGUMENT", message, { cause });
}

export const docSubject = (name: string): string => `document ${JSON.stringify(name)}`;
export const roomSubject = (room: string): string => `room ${JSON.stringify(room)}`;
