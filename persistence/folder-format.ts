/**
 * Which layout of the data a LevelDB folder holds, so that a folder a newer yparty wrote in a layout this one does not
 * know is refused rather than read as if it held nothing (its rooms would answer 404, and writes here would mix the
 * two layouts). One raw top-level key, outside y-leveldb's keys (they begin with byte 0) and the `!kv!` sublevel:
 * y-leveldb and older yparty versions never read it. A server writes it when the folder has none (a new folder, or one
 * an older yparty or y-websocket wrote: both in format 1); `yparty doctor`, `repair` and `migrate` only read it.
 */
import type { Level } from "level";
import { StorageError } from "./types.js";

/** The layout this yparty reads and writes (docs/persistence.md, "Layout"). Raise it with any change old code misreads. */
export const FOLDER_FORMAT = 1;

const FORMAT_KEY = new TextEncoder().encode("yparty:format");

type Db = Pick<Level<Uint8Array, Uint8Array>, "getMany" | "put">;

/** Throws ERR_STORAGE_FORMAT when the folder holds a format this yparty does not know; resolves whether it has a mark. */
export async function checkFolderFormat(db: Db, location: string): Promise<boolean> {
  // A read that fails (a damaged table) is left to what reads the folder next: `yparty doctor` reports it.
  const [stored] = await db.getMany([FORMAT_KEY]).catch(() => [undefined]);
  if (stored === undefined) return false;
  const text = new TextDecoder().decode(stored);
  if (text === String(FOLDER_FORMAT)) return true;
  const newer = /^[1-9]\d{0,8}$/.test(text) && Number(text) > FOLDER_FORMAT;
  throw new StorageError(
    "ERR_STORAGE_FORMAT",
    `${location} holds data in ${newer ? `format ${text}, written by a newer yparty` : `an unknown format (${JSON.stringify(text.slice(0, 40))})`}; ` +
      `this yparty reads format ${FOLDER_FORMAT}. Nothing was changed: start the yparty version that wrote it (or a newer ` +
      `one), or give this one another data folder`,
  );
}

/** `checkFolderFormat` for a database opened only to read the folder: closed when its format is refused. */
export async function checkFolderFormatOrClose(db: Db & Pick<Level<Uint8Array, Uint8Array>, "close">, location: string): Promise<void> {
  try {
    await checkFolderFormat(db, location);
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** Marks the folder with this yparty's format, unless it has a mark (checked first with `checkFolderFormat`). */
export async function markFolderFormat(db: Db, location: string): Promise<void> {
  if (!(await checkFolderFormat(db, location))) await db.put(FORMAT_KEY, new TextEncoder().encode(String(FOLDER_FORMAT)), { sync: true });
}
