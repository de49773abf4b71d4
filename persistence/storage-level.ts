/**
 * The LevelDB engine's `Storage`: opening a data folder (refusing one it must not open, holding it, upgrading its
 * format, checking what the last run acknowledged against what LevelDB kept), serving documents and rooms' key-value
 * stores from it, and releasing it on `close()`.
 */
import { WeakRoomStores } from "./weak-room-stores.js";
import * as path from "node:path";
import { Level } from "level";
import { checkJournaledDocuments } from "./ack-check.js";
import { AckJournal, readJournal } from "./ack-journal.js";
import { describeDamage } from "./ack-record.js";
import type { ByteDb } from "./byte-db.js";
import { defaults } from "./defaults.js";
import { LevelDocStore } from "./doc-level.js";
import { docSubject, fullDiskOpenError, readError, reasonOf } from "./errors.js";
import { heldError } from "./folder-holder.js";
import { InFlight } from "./in-flight.js";
import { upgradeKvKeyOrder } from "./kv-key-upgrade.js";
import { LevelKvBackend, levelKvRooms } from "./kv-level.js";
import { holdFolder, type FolderHold } from "./folder-hold.js";
import { droppedOnOpen, keepLogs, onlyTornWritesDropped, silentDrops, type KeptLogs } from "./leveldb-log.js";
import { WriteGuard } from "./write-guard.js";
import { RoomKvStore } from "./kv-store.js";
import { levelFolderState, needsRepairError, noCurrentError, notWritableError } from "./level-folder.js";
import { makeDataFolder, warnIfOpenToOthers } from "./make-folder.js";
import { markFolderFormat } from "./folder-format.js";
import type { OnStorageProgress } from "./progress.js";
import { StorageError, type KvStore, type Storage, type StorageWarning } from "./types.js";

export interface LevelStorageOptions {
  dir: string;
  /** Fsync every batch (survives power loss, costs a disk flush per batch). Default: `defaults.sync`. */
  sync?: boolean;
  onWarning?: (warning: StorageWarning) => void;
  /** Long work of the open (a folder's format upgrade): a line when it starts, at most one a second, one when done. */
  onProgress?: OnStorageProgress;
  /** See `defaults.compactOnLoadAbove`. */
  compactOnLoadAbove?: number;
  /** See `defaults.commitIntervalMs`. */
  commitIntervalMs?: number;
}

/** Both contracts in one LevelDB folder: documents at the top level in y-leveldb's layout, rooms in the `kv` sublevel. */
export class LevelStorage implements Storage {
  readonly docs: LevelDocStore;
  /** Each room's store while anything holds it (a live room, a write in flight). */
  readonly #rooms = new WeakRoomStores();
  readonly #kv: ByteDb;
  readonly #kvWrites = new InFlight();
  readonly #writes: WriteGuard;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(
    readonly location: string,
    private readonly db: Level<Uint8Array, Uint8Array>,
    private readonly options: LevelStorageOptions,
    private readonly journal: AckJournal,
    private readonly hold: FolderHold,
  ) {
    const writes = (this.#writes = new WriteGuard(db, location, () =>
      options.onWarning?.({
        code: "ERR_STORAGE_WRITE",
        message: `Reopened ${location} after a failed write, so that LevelDB's log goes on clean; writing again`,
      }),
    ));
    this.docs = new LevelDocStore(writes.guard(db), {
      location,
      sync: options.sync ?? defaults.sync,
      compactOnLoadAbove: options.compactOnLoadAbove ?? defaults.compactOnLoadAbove,
      commitIntervalMs: options.commitIntervalMs ?? defaults.commitIntervalMs,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      onCommitted: (landed) => journal.noteAll(landed),
      whenWritable: () => writes.ready(),
      reopens: () => writes.reopens,
    });
    this.#kv = writes.guard(db.sublevel<Uint8Array, Uint8Array>(defaults.kvSublevel, { keyEncoding: "view", valueEncoding: "view" }));
  }

  static async open(options: LevelStorageOptions): Promise<LevelStorage> {
    const location = path.resolve(options.dir);
    let db: Level<Uint8Array, Uint8Array>;
    let kept: KeptLogs | undefined;
    let hold: FolderHold | undefined;
    try {
      // Never a new database over tables that lost their CURRENT: LevelDB would delete them. A folder that holds
      // LevelDB files at all is opened as the database it is, or not at all (a CURRENT that is a link to nothing, empty,
      // or names a missing MANIFEST: LevelDB would otherwise start afresh over it).
      const state = await levelFolderState(location);
      if (state === "no-current") throw noCurrentError(location);
      // LevelDB creates the last folder only. Made readable by this user alone (a folder that exists keeps its mode,
      // and is warned about when every user may read it).
      await makeDataFolder(location);
      await warnIfOpenToOthers(location, options.onWarning);
      // Before any log is linked or swept: a second start on a folder a server holds is refused here (folder-hold.ts).
      hold = await holdFolder(location);
      // What the open replays, kept until it is checked: LevelDB deletes its logs once replayed. Kept before the Level
      // is made: it opens itself on the next tick (abstract-level's deferred open), and kept after, a log could be
      // replayed and deleted before it was linked, its torn end then told as damage (h140-log-damage-oracle, once in a
      // full CI run).
      if (state === "database") kept = await keepLogs(location);
      // Made only now: a Level opens itself on the next tick after it is made (abstract-level's deferred open),
      // which would have run before the checks above.
      db = new Level<Uint8Array, Uint8Array>(location, { keyEncoding: "view", valueEncoding: "view", createIfMissing: state !== "database" });
      await db.open().catch(async (error: unknown) => {
        throw state === "database" ? await unopenableError(location, error) : error;
      });
    } catch (error) {
      await kept?.release();
      await hold?.release();
      throw await openError(location, error);
    }
    let journal: AckJournal;
    try {
      await markFolderFormat(db, location, (_from, finish) => upgradeKvKeyOrder(db, location, finish, options.onProgress));
      journal = await checkOnOpen(location, db, options.onWarning, kept);
    } catch (error) {
      await db.close();
      await hold.release();
      throw await openError(location, error);
    } finally {
      await kept?.release();
    }
    return new LevelStorage(location, db, options, journal, hold);
  }

  /** Rooms whose key-value store is in memory now. */
  get roomsKept(): number {
    return this.#rooms.size;
  }

  kv(room: string): KvStore {
    return this.#rooms.of(room, () => {
      const backend = new LevelKvBackend(room, this.#kv, {
        location: this.location,
        sync: this.options.sync ?? defaults.sync,
        isClosed: () => this.#closed,
        track: (write) => this.#kvWrites.track(write),
        whenWritable: () => this.#writes.ready(),
      });
      return new RoomKvStore(room, this.location, backend);
    });
  }

  async kvRooms(): Promise<Map<string, number>> {
    try {
      return await levelKvRooms(this.#kv);
    } catch (error) {
      throw readError("the room list", this.location, error);
    }
  }

  /** Every call resolves once the folder is released (a second caller may open it again then). */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await Promise.all([this.docs.close(), this.#kvWrites.drain()]);
    this.journal.close();
    this.#writes.closed = true;
    await this.db.close();
    await this.hold.release();
  }
}

/**
 * What the last run acknowledged against what LevelDB kept: reports what LevelDB dropped while opening (at error level,
 * unless it only dropped what followed a write that failed: `kept`, the logs it replayed, tell) and, naming each,
 * every document the ack journal shows short, marks those damaged, then starts the journal afresh. Everything it
 * witnessed is checked by then.
 */
async function checkOnOpen(location: string, db: ByteDb, onWarning: LevelStorageOptions["onWarning"], kept: KeptLogs | undefined): Promise<AckJournal> {
  const dropped = [...(await droppedOnOpen(location)), ...(kept ? await silentDrops(kept) : [])];
  const journaled = await readJournal(location);
  const documents = await checkJournaledDocuments(db, journaled, dropped.length > 0);
  if (dropped.length > 0) {
    const torn = documents.length === 0 && kept !== undefined && (await onlyTornWritesDropped(dropped, kept));
    onWarning?.(
      torn
        ? {
            code: "ERR_STORAGE_WRITE",
            message:
              `LevelDB dropped the torn end of a write that failed (a full disk, or the process stopped while the disk ` +
              `refused it) from its write-ahead log while opening ${location} (${dropped.join("; ")}), with what ` +
              `followed it in that log, which was never acknowledged: nothing acknowledged was lost`,
          }
        : {
            code: "ERR_DOCUMENT_DAMAGED",
            level: "error",
            message:
              `LevelDB skipped damaged parts of its write-ahead log while opening ${location} (${dropped.join("; ")}): ` +
              `writes it had acknowledged may be lost. Documents known to be affected are reported one by one; ` +
              `stop the server and run "yparty doctor" for the whole folder`,
          },
    );
  }
  for (const { name, damage, error } of documents) {
    const message = damage
      ? `${docSubject(name)} in ${location} is damaged: ${describeDamage(damage)}. It answers ERR_DOCUMENT_DAMAGED ` +
        `until an operator stops the server and runs "yparty repair" to accept what is left`
      : `${docSubject(name)} in ${location} cannot be read (${reasonOf(error)}): stop the server and run "yparty doctor"`;
    onWarning?.({ code: damage ? "ERR_DOCUMENT_DAMAGED" : "ERR_STORAGE_READ", level: "error", doc: name, message });
  }
  return new AckJournal(location, (error) =>
    onWarning?.({
      code: "ERR_STORAGE_WRITE",
      message: `Could not write the ack journal in ${location} (${reasonOf(error)}): a lost tail of LevelDB's log may go unnoticed until the next start`,
    }),
  );
}

/** A database LevelDB cannot open as it is (not held by another process): what to run. */
async function unopenableError(location: string, error: unknown): Promise<unknown> {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (cause?.code === "LEVEL_LOCKED") return error;
  const notWritable = notWritableError(location, error) ?? (await fullDiskOpenError(location, error));
  if (notWritable) return notWritable;
  return needsRepairError(location, `cannot be opened as it is (${reasonOf(cause ?? error)})`, error);
}

async function openError(location: string, error: unknown): Promise<StorageError> {
  if (error instanceof StorageError) return error;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (cause?.code === "LEVEL_LOCKED") return heldError(location, error); // (named: a backup script, say)
  // A table read as the folder opens (its format upgrade goes through every room's data) found damaged: what
  // `yparty repair` is for, a half-upgraded folder too.
  if ((cause ?? (error as { code?: unknown })).code === "LEVEL_CORRUPTION") {
    return needsRepairError(location, `has a damaged table (${reasonOf(cause ?? error)})`, error);
  }
  return new StorageError("ERR_STORAGE_READ", `Could not open ${location}: ${reasonOf(cause ?? error)}`, {
    cause: error,
  });
}
