/**
 * Reads a LevelDB data folder to copy it elsewhere (`yparty migrate`): its documents through the LevelDB DocStore
 * (so a damaged one is refused as a server would refuse it) and every room's key-value entries, room by room. Opening
 * takes yparty's hold and LevelDB's lock, so a folder a server holds is refused (ERR_STORAGE_LOCKED), and a server
 * started meanwhile is told another yparty process holds it; nothing is written to it but the hold (yparty-lock/).
 */
import * as path from "node:path";
import { Level } from "level";
import { levelFolderState, noCurrentError } from "./level-folder.js";
import { defaults } from "./defaults.js";
import { checkFolderFormatOrClose } from "./folder-format.js";
import { holdFolder } from "./folder-hold.js";
import { LevelDocStore } from "./doc-level.js";
import { reasonOf } from "./errors.js";
import { heldError } from "./folder-holder.js";
import { decodeKey, decodeString, roomPrefixBytes } from "./kv-codec.js";
import { warnIfOpenToOthers } from "./make-folder.js";
import { StorageError, type DocStore, type StorageWarning } from "./types.js";

/** A slice of one room's key-value entries: keys in order, values as stored (kv-codec.ts's serialized bytes). */
export interface RoomEntries {
  room: string;
  entries: Array<[key: string, value: Uint8Array]>;
}

export interface LevelFolderReader {
  /** Loads (merged state), `names` and `stats` only: no compaction runs on this folder. */
  readonly docs: Pick<DocStore, "load" | "names" | "stats">;
  /** Every room's entries in order, in slices of at most `sliceSize` entries of one room. */
  rooms(sliceSize: number): AsyncGenerator<RoomEntries>;
  close(): Promise<void>;
}

export async function readLevelFolder(dir: string, options: { onWarning?: (warning: StorageWarning) => void } = {}): Promise<LevelFolderReader> {
  // Checked first: LevelDB leaves its files (and the folder) behind even when it finds no database to open.
  const state = await levelFolderState(dir);
  if (state === "absent" || state === "empty")
    throw new StorageError(
      "ERR_STORAGE_READ",
      `Could not open ${dir} as a yparty data folder: it ${state === "absent" ? "does not exist" : "holds no LevelDB database"}`,
    );
  if (state === "no-current") throw noCurrentError(dir);
  // The folder every user of the machine may read is told of here too, as by a server's open, doctor and repair.
  await warnIfOpenToOthers(dir, options.onWarning);
  // yparty's hold, as a server, doctor and repair take: a start meanwhile is told a yparty process holds the folder.
  const hold = await holdFolder(path.resolve(dir));
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view", createIfMissing: false });
  let decodeStoredKey: (bytes: Uint8Array) => string;
  try {
    await db.open();
    // A format-1 folder (not opened by a newer server since) holds its keys in plain UTF-16 BE.
    decodeStoredKey = (await checkFolderFormatOrClose(db, dir)) < 2 ? decodeString : decodeKey;
  } catch (error) {
    await hold.release();
    const cause = (error as { cause?: { code?: unknown } }).cause;
    if (error instanceof StorageError) throw error;
    if (cause?.code === "LEVEL_LOCKED") throw await heldError(dir, error);
    throw new StorageError("ERR_STORAGE_READ", `Could not open ${dir} as a yparty data folder: ${reasonOf(cause ?? error)}`, { cause: error });
  }
  const docs = new LevelDocStore(db, { location: dir, compactOnLoadAbove: Number.POSITIVE_INFINITY });
  const kv = db.sublevel<Uint8Array, Uint8Array>(defaults.kvSublevel, { keyEncoding: "view", valueEncoding: "view" });
  return {
    docs,
    async *rooms(sliceSize) {
      let slice: RoomEntries | undefined;
      for await (const [stored, value] of kv.iterator()) {
        // `uint32be(room.length) + room (UTF-16 BE) + key` (kv-codec.ts).
        const roomBytes = roomPrefixBytes(stored);
        const room = decodeString(stored.subarray(4, roomBytes));
        const key = decodeStoredKey(stored.subarray(roomBytes));
        if (slice && (slice.room !== room || slice.entries.length >= sliceSize)) {
          yield slice;
          slice = undefined;
        }
        slice ??= { room, entries: [] };
        slice.entries.push([key, value]);
      }
      if (slice) yield slice;
    },
    async close() {
      await docs.close();
      await db.close();
      await hold.release();
    },
  };
}
