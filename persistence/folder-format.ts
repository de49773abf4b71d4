/**
 * Which layout of the data a LevelDB folder holds, so that a folder a newer yparty wrote in a layout this one does not
 * know is refused rather than read as if it held nothing (its rooms would answer 404, and writes here would mix the
 * two layouts). One raw top-level key, outside y-leveldb's keys (they begin with byte 0) and the `!kv!` sublevel:
 * y-leveldb and older yparty versions never read it (yparty versions that know format 1 only refuse a folder marked 2).
 * A server writes it when the folder has none (a new folder, or one an older yparty or y-websocket wrote: format 1)
 * or an older one, upgrading the data with it; `yparty doctor`, `repair` and `migrate` only read it.
 */
import type { Level } from "level";
import { StorageError } from "./types.js";

/**
 * The layout this yparty reads and writes (docs/persistence.md, "Layout"). Raise it with any change old code misreads.
 * 1: room.storage keys in plain UTF-16 BE. 2: keys in Durable Objects' order (kv-codec.ts's `encodeKey`).
 */
export const FOLDER_FORMAT = 2;

const FORMAT_KEY = new TextEncoder().encode("yparty:format");

type Db = Pick<Level<Uint8Array, Uint8Array>, "getMany" | "put" | "batch">;

/** The format of a folder without a mark: an older yparty's or y-websocket's. */
const UNMARKED_FORMAT = 1;

/** The mark of a folder whose upgrade from `from` began (older yparty versions refuse it as a format they do not know). */
const upgradingMark = (from: number) => `${from}>${FOLDER_FORMAT}`;

/**
 * Throws ERR_STORAGE_FORMAT when the folder holds a format this yparty does not know; resolves with its mark's format,
 * or `{ upgradingFrom }` when an upgrade was interrupted (a server resumes it; `checkFolderFormatOrClose` refuses it).
 */
export async function checkFolderFormat(db: Pick<Db, "getMany">, location: string): Promise<number | { upgradingFrom: number } | undefined> {
  // A read that fails (a damaged table) is left to what reads the folder next: `yparty doctor` reports it.
  const [stored] = await db.getMany([FORMAT_KEY]).catch(() => [undefined]);
  if (stored === undefined) return undefined;
  const text = new TextDecoder().decode(stored);
  const known = /^[1-9]\d{0,8}$/.test(text) ? Number(text) : undefined;
  if (known !== undefined && known <= FOLDER_FORMAT) return known;
  for (let from = 1; from < FOLDER_FORMAT; from++) if (text === upgradingMark(from)) return { upgradingFrom: from };
  const newer = known !== undefined;
  throw new StorageError(
    "ERR_STORAGE_FORMAT",
    `${location} holds data in ${newer ? `format ${text}, written by a newer yparty` : `an unknown format (${JSON.stringify(text.slice(0, 40))})`}; ` +
      `this yparty reads formats 1 to ${FOLDER_FORMAT}. Nothing was changed: start the yparty version that wrote it (or a newer ` +
      `one), or give this one another data folder`,
  );
}

/**
 * `checkFolderFormat` for a database opened only to read the folder: closed when its format is refused. Resolves with
 * the format its data is in (an older one is read as it is: nothing is upgraded but by a server).
 */
export async function checkFolderFormatOrClose(db: Pick<Db, "getMany"> & Pick<Level<Uint8Array, Uint8Array>, "close">, location: string): Promise<number> {
  try {
    const format = (await checkFolderFormat(db, location)) ?? UNMARKED_FORMAT;
    if (typeof format === "number") return format;
    throw new StorageError(
      "ERR_STORAGE_FORMAT",
      `${location} is half-way through its upgrade from format ${format.upgradingFrom} to ${FOLDER_FORMAT} (a server stopped during it); ` +
        `nothing is lost: start \`yparty start\` on it once to finish the upgrade (should it find a damaged table, \`yparty repair\` first), then run this again`,
    );
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** A write of an upgrade, on the database's own keys. */
export type UpgradeOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

/**
 * Brings a folder of an older format (or none: a new folder, an older yparty's) to this yparty's format: the folder is
 * first marked as being upgraded (so no yparty reads it half-way), then `upgrade` moves its data from format `from` in
 * batches of its own, each atomic, and resumes where it stopped when called again after a crash; it ends with
 * `finish`, which writes its last writes in one batch with the new mark.
 */
export async function markFolderFormat(
  db: Db,
  location: string,
  upgrade: (from: number, finish: (ops: UpgradeOp[]) => Promise<void>) => Promise<void>,
): Promise<void> {
  const marked = await checkFolderFormat(db, location);
  if (marked === FOLDER_FORMAT) return;
  const from = typeof marked === "object" ? marked.upgradingFrom : (marked ?? UNMARKED_FORMAT);
  if (typeof marked !== "object") await db.put(FORMAT_KEY, new TextEncoder().encode(upgradingMark(from)), { sync: true });
  await upgrade(from, (ops) => db.batch([...ops, { type: "put", key: FORMAT_KEY, value: new TextEncoder().encode(String(FOLDER_FORMAT)) }], { sync: true }));
}
