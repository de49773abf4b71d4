/**
 * Offline check and repair of a data folder (`yparty doctor`, `yparty repair`), with the server stopped.
 *
 * The check reads every document's whole log (so a damaged LevelDB table shows as a read error) and its records
 * against the ack journal (ack-record.ts, ack-journal.ts), and every room's key-value data. It writes nothing itself;
 * opening LevelDB does replay its write-ahead log into a table, as every open does, and what LevelDB dropped while
 * doing so is reported.
 *
 * The repair accepts what is left: LevelDB's own repair (`RepairDB`: rebuilds the tables from what is readable,
 * moves what is not to `lost/`) when the folder cannot be opened or some data cannot be read, then each damaged
 * document's record is rewritten to the log it now holds and its damage mark removed, and the ack journal is
 * started afresh. Documents then load with what is left.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { Level } from "level";
import { findDamage, readDocument } from "./ack-check.js";
import { ACK_JOURNAL_FILE, readJournal, type Journaled } from "./ack-journal.js";
import { ackedRecordOp, endOf, type Damage, type LogEnd } from "./ack-record.js";
import type { BatchOp } from "./byte-db.js";
import { defaults } from "./defaults.js";
import * as keys from "./doc-keys.js";
import { fullDiskOpenError, reasonOf } from "./errors.js";
import { heldError } from "./folder-holder.js";
import { eachLimited } from "./each-limited.js";
import { checkFolderFormat, checkFolderFormatOrClose } from "./folder-format.js";
import { noteLevelDbRepaired } from "./kv-key-upgrade.js";
import { holdFolder } from "./folder-hold.js";
import { droppedOnOpen, keepLogs, onlyTornWritesDropped, silentDrops, type KeptLogs } from "./leveldb-log.js";
import { warnIfOpenToOthers } from "./make-folder.js";
import { levelFolderState, noCurrentError, notWritableError, type LevelFolderState } from "./level-folder.js";
import { StorageError, type StorageWarning } from "./types.js";

export interface DocumentFinding {
  name: string;
  /** Known to miss acknowledged writes. */
  damage?: Damage;
  /** Its log cannot be read (a damaged table). */
  unreadable?: string;
}

export interface FolderReport {
  location: string;
  /** What LevelDB said it dropped while opening the folder for this check. */
  dropped: string[];
  /**
   * Every drop was the torn end of a write that failed (a full disk) with what followed it in that log, which the
   * server never acknowledged (leveldb-log.ts), and no document is found short: nothing acknowledged was lost.
   */
  onlyTornWrites?: boolean;
  /** Documents checked. */
  documents: number;
  findings: DocumentFinding[];
  /** Room key-value data that cannot be read, if any. */
  unreadableRoomData?: string;
}

export interface RepairReport {
  /** Whether LevelDB's own repair ran (the folder could not open, or some data could not be read). */
  levelDbRepaired: boolean;
  /**
   * What LevelDB said it dropped from its write-ahead log as the repair opened the folder (or as its own repair read
   * the logs): writes it had acknowledged may be gone with it (room data too, which no record names), unless
   * `onlyTornWrites` (see FolderReport).
   */
  dropped: string[];
  onlyTornWrites?: boolean;
  /** Documents now served with what is left, and what they had lost (unreadable ones stay in `after`). */
  accepted: DocumentFinding[];
  /** The check after the repair (clean when `findings` is empty and no room data is unreadable). */
  after: FolderReport;
}

export interface CheckOptions {
  /** Called now and then with documents checked so far and the total (for progress output). */
  onProgress?: (checked: number, total: number) => void;
  /** What the operator should hear of, as a server's open tells it (a folder every user may read). */
  onWarning?: (warning: StorageWarning) => void;
}

type Db = Level<Uint8Array, Uint8Array>;
const RANGE_PAGE = 1000;

export const isClean = (report: FolderReport): boolean => report.findings.length === 0 && !report.unreadableRoomData;

/** Checks the folder; throws a `StorageError` when it cannot be opened (`ERR_STORAGE_LOCKED`: a server holds it). */
export async function checkFolder(dir: string, options: CheckOptions = {}): Promise<FolderReport> {
  const location = path.resolve(dir);
  if ((await mustHoldData(location)) === "no-current") throw noCurrentError(location);
  await warnIfOpenToOthers(location, options.onWarning);
  const hold = await holdFolder(location); // (before any log is linked or swept: folder-hold.ts)
  try {
    // What the open replays, kept until it is judged, as a server's open does (storage-level.ts).
    const kept = await keepLogs(location);
    try {
      const silent = await silentDrops(kept); // (read before the open replays and deletes the logs)
      const db = await openDb(location);
      try {
        const report = await check(db, location, options, silent);
        const torn = report.dropped.length > 0 && isClean(report) && (await onlyTornWritesDropped(report.dropped, kept));
        return torn ? { ...report, onlyTornWrites: true } : report;
      } finally {
        await db.close();
      }
    } finally {
      await kept.release();
    }
  } finally {
    await hold.release();
  }
}

/** Repairs the folder as the module comment says; then checks it again. */
export async function repairFolder(dir: string, options: CheckOptions = {}): Promise<RepairReport> {
  const location = path.resolve(dir);
  await mustHoldData(location); // a folder without its CURRENT is what LevelDB's repair rebuilds
  await warnIfOpenToOthers(location, options.onWarning);
  const hold = await holdFolder(location); // (before any log is linked or swept: folder-hold.ts)
  try {
    const kept = await keepLogs(location); // what the open replays, to judge what LevelDB drops from it (as doctor does)
    try {
      return await repairOpened(location, options, kept);
    } finally {
      await kept.release();
    }
  } finally {
    await hold.release();
  }
}

async function repairOpened(location: string, options: CheckOptions, kept: KeptLogs): Promise<RepairReport> {
  let levelDbRepaired = false;
  let dropped: string[] = [];
  const silent = await silentDrops(kept); // (read before the open replays and deletes the logs)
  let db = await openDb(location, { repairing: true }).catch(async (error: unknown) => {
    const code = (error as StorageError).code;
    // (LevelDB's repair rewrites every table: not on a folder it cannot write, nor on a full disk)
    if (code === "ERR_STORAGE_LOCKED" || code === "ERR_STORAGE_FORMAT" || code === "ERR_STORAGE_NOT_WRITABLE" || code === "ERR_STORAGE_FULL") throw error;
    levelDbRepaired = await repairLevelDb(location);
    dropped = [...(await droppedOnOpen(location)), ...silent]; // its own account of the logs it read (the open below starts LOG afresh)
    return openDb(location, { repairing: true });
  });
  try {
    // (inside: the database is closed below whatever throws)
    if (levelDbRepaired) await noteLevelDbRepaired(db);
    else dropped = [...(await droppedOnOpen(location)), ...silent];
    // A check that cannot even list the documents (a damaged table under the index) needs LevelDB's repair too.
    let report = await check(db, location, options, silent).catch(() => undefined);
    if (!report || report.unreadableRoomData || report.findings.some((f) => f.unreadable)) {
      if (!levelDbRepaired) {
        await db.close();
        levelDbRepaired = await repairLevelDb(location);
        db = await openDb(location, { repairing: true });
        await noteLevelDbRepaired(db);
      }
      report = await check(db, location, options, silent);
    }
    const accepted = report.findings.filter((finding) => finding.damage); // unreadable ones stay reported
    await db.batch(
      await acceptOps(
        db,
        accepted.map((f) => f.name),
      ),
      { sync: true },
    );
    await fs.rm(path.join(location, ACK_JOURNAL_FILE), { force: true });
    const onlyTornWrites = dropped.length > 0 && accepted.length === 0 && (await onlyTornWritesDropped(dropped, kept));
    return { levelDbRepaired, dropped, ...(onlyTornWrites ? { onlyTornWrites } : {}), accepted, after: await check(db, location, options, silent) };
  } finally {
    await db.close();
  }
}

/** `silent`: what the open dropped without a word (leveldb-log.ts silentDrops), told with what LOG says. */
async function check(db: Db, location: string, { onProgress }: CheckOptions, silent: readonly string[]): Promise<FolderReport> {
  const journaled = await readJournal(location);
  const names = await documentNames(db, journaled);
  const findings: DocumentFinding[] = [];
  let checked = 0;
  let lastProgress = Date.now();
  await eachLimited(names, defaults.checkConcurrency, async (name) => {
    const finding = await checkDocument(db, name, journaled.get(name));
    if (finding) findings.push(finding);
    checked++;
    if (onProgress && Date.now() - lastProgress >= 1000) {
      onProgress(checked, names.length);
      lastProgress = Date.now();
    }
  });
  findings.sort((a, b) => (a.name < b.name ? -1 : 1));
  const unreadableRoomData = await unreadableKv(db);
  return {
    location,
    dropped: [...(await droppedOnOpen(location)), ...silent],
    documents: names.length,
    findings,
    ...(unreadableRoomData ? { unreadableRoomData } : {}),
  };
}

async function checkDocument(db: Db, name: string, journaled: LogEnd | null | undefined): Promise<DocumentFinding | undefined> {
  try {
    const { entries, meta } = await readDocument(db, name);
    const damage = await findDamage(
      db,
      name,
      entries.map((entry) => entry.clock),
      meta,
      journaled,
    );
    return damage ? { name, damage } : undefined;
  } catch (error) {
    return { name, unreadable: reasonOf((error as { cause?: unknown }).cause ?? error) };
  }
}

/** Every document the index lists, and those only the journal names (an index entry lost with its table). */
async function documentNames(db: Db, journaled: Journaled): Promise<string[]> {
  const names = new Set<string>();
  for (const key of await db.keys(keys.indexRange).all()) names.add(keys.nameOfIndexKey(key));
  for (const [name, end] of journaled) if (end) names.add(name);
  return [...names].sort();
}

/** Reads all room key-value data in pages; the reason of the first read that fails, if one does. */
async function unreadableKv(db: Db): Promise<string | undefined> {
  const kv = db.sublevel<Uint8Array, Uint8Array>(defaults.kvSublevel, { keyEncoding: "view", valueEncoding: "view" });
  // One iterator, a page at a time: a range read with a limit that meets a damaged block ends there without an error
  // (classic-level), which pages of such reads took for the end of the data.
  const entries = kv.iterator();
  try {
    while ((await entries.nextv(RANGE_PAGE)).length > 0);
    return undefined;
  } catch (error) {
    return reasonOf((error as { cause?: unknown }).cause ?? error);
  } finally {
    await entries.close();
  }
}

/** Each document's record set to the log it holds now (none when it is empty), its damage mark removed. */
async function acceptOps(db: Db, names: string[]): Promise<BatchOp[]> {
  const ops: BatchOp[] = [];
  for (const name of names) {
    const end = endOf((await db.keys(keys.logRange(name)).all()).map(keys.clockOfKey));
    ops.push({ type: "del", key: keys.damageKey(name) });
    ops.push(end.updates > 0 ? ackedRecordOp(name, end) : { type: "del", key: keys.ackedKey(name) });
  }
  return ops;
}

async function repairLevelDb(location: string): Promise<true> {
  await (Level as unknown as { repair(location: string): Promise<void> }).repair(location);
  return true;
}

/** `repairing`: a folder half-way through its format upgrade is taken as it is (see below). */
async function openDb(location: string, { repairing = false } = {}): Promise<Db> {
  const db = new Level<Uint8Array, Uint8Array>(location, { keyEncoding: "view", valueEncoding: "view", createIfMissing: false });
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause;
    if (cause?.code === "LEVEL_LOCKED") throw await heldError(location, error);
    throw notWritableError(location, error) ?? (await fullDiskOpenError(location, error)) ?? error;
  }
  // A newer yparty's folder is neither checked nor repaired by rules it was not written by. One half-way through its
  // upgrade is repaired: LevelDB's repair and the documents' records do not depend on the room data's key format, and
  // the start that finishes the upgrade cannot read a damaged table (it says to repair).
  if (!repairing) await checkFolderFormatOrClose(db, location);
  else {
    try {
      await checkFolderFormat(db, location);
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return db;
}

const notDataFolder = (message: string) => new StorageError("ERR_STORAGE_INVALID_ARGUMENT", message);

/** The folder's state, when it holds a LevelDB database (or the tables of one); else why it is not a data folder. */
async function mustHoldData(location: string): Promise<LevelFolderState> {
  const stat = await fs.stat(location).catch(() => undefined);
  if (!stat?.isDirectory()) throw notDataFolder(`${location} is not a data folder (it does not exist or is not a folder)`);
  const state = await levelFolderState(location);
  // Opening it would leave LevelDB's files in it, and a repair would make a database of it: neither, for a wrong path.
  if (state === "empty") throw notDataFolder(`${location} holds no yparty data (no LevelDB database in it): check the folder given to --persist`);
  return state;
}
