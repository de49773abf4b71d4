/**
 * After a failed write, LevelDB 1.20 (classic-level's) may have left a torn record in its write-ahead log and keeps
 * appending after it; the next open's replay then drops the whole 32 KiB block around it, taking writes acknowledged
 * after the failure with it. Measured: a POST answered 200 after a disk-full episode was gone after a kill -9
 * (LOG: "dropping 10276 bytes; Corruption: checksum mismatch"). So after any failed write the database is closed and
 * opened again before the next write: that replay drops only the failed, unacknowledged bytes, and writing goes on
 * in a fresh log.
 *
 * The reopen is tried by the next write or read, and only once the disk has `defaults.reopenMinFreeBytes` free beyond
 * the size of the logs it replays (the replay writes them as a table; a reopen that failed for want of it would leave
 * the database closed, and reads failing): until then writes fail at once with `ERR_STORAGE_FULL` and reads go on from the open
 * database. Operations issued while it reopens wait for it, and it waits for the reads under way (closing the
 * database cut them off: a room's load failed with "Database is not open"). A read waits for it because a batch refused beside a
 * failed one (below) is in LevelDB's memory until then: a room that retried a refused read-modify-write read its own
 * refused value.
 *
 * For the same reason a batch that was in flight when another one failed is not trusted: its record may follow the
 * torn one in the log (LevelDB's writer queue runs batches issued together one after the other), and the reopen's
 * replay would drop it. It fails with the failed one's error as its cause (a full disk is still told as one): a room
 * retries its document's appends (an update stored twice merges to the same state), a room.storage write rejects.
 *
 * A batch lands only in the folder it was opened in (folder-identity.ts): once the folder is found deleted or
 * replaced, that batch and every later write fail with ERR_STORAGE_WRITE saying what to do, and nothing is reopened
 * (a reopen would start an empty database where the old one was).
 */
import type { Level } from "level";
import type { ByteDb } from "./byte-db.js";
import { FolderIdentity } from "./folder-identity.js";
import { InFlight } from "./in-flight.js";
import { replayRoom } from "./leveldb-log.js";
import { megabytes } from "./progress.js";
import { reasonOf, writeError } from "./errors.js";
import { StorageError } from "./types.js";

export class WriteGuard {
  #broken = false;
  #reopening: Promise<void> | null = null;
  readonly #folder: FolderIdentity;
  /** Set once the folder is found deleted or replaced: every write fails with it from then on. */
  #gone: StorageError | undefined;
  /** Batches that failed so far: one that was in flight meanwhile is not trusted (see above). */
  #failures = 0;
  #lastFailure: unknown;
  /** Settles once the last batch issued has settled, and every one issued before it. */
  #issued: Promise<void> = Promise.resolve();
  #reopens = 0;
  /** Reads under way: the reopen waits for them (closing the database cuts them off: "Database is not open"). */
  readonly #reads = new InFlight();
  /** Set when the storage closes: never reopen a database its owner closed. */
  closed = false;

  constructor(
    private readonly db: Level<Uint8Array, Uint8Array>,
    private readonly location: string,
    private readonly onReopened: () => void,
  ) {
    this.#folder = new FolderIdentity(location);
  }

  /** `target` (the database or one of its sublevels) with writes that wait for a reopen after a failed one. */
  guard(target: ByteDb): ByteDb {
    const read = <T>(readNow: () => Promise<T>): Promise<T> => {
      const run = () => this.#reads.track(readNow());
      if (this.db.status === "open" && !this.#broken) return run();
      // After a failed write, what was refused beside it is in LevelDB's memory until the reopen drops it: read after
      // the reopen. Where it cannot be made (a full disk, the folder gone), read what the open database holds.
      return this.#ready().then(run, (error: unknown) => {
        if (this.db.status === "open") return run();
        throw error;
      });
    };
    return {
      batch: async (ops, options) => {
        if (this.#mustWait) await this.#ready();
        const failuresBefore = this.#failures;
        const earlier = this.#issued;
        const written = target.batch(ops, options).catch((error: unknown) => {
          this.#failures++;
          this.#lastFailure = error;
          this.#broken = true;
          throw error;
        });
        const settled = written.then(
          () => earlier,
          () => earlier,
        );
        this.#issued = settled;
        await written;
        await settled; // every batch issued before it has settled: any failure among them is counted
        if (this.#failures !== failuresBefore) {
          throw new Error(
            `a write in flight beside it failed (${reasonOf(this.#lastFailure)}), and LevelDB may drop what follows a failed write in its log: it is not counted as written, write it again`,
            { cause: this.#lastFailure },
          );
        }
        this.#checkFolder();
      },
      iterator: (range) => ({ all: () => read(() => target.iterator(range).all()) }),
      keys: (range) => ({ all: () => read(() => target.keys(range).all()) }),
      values: (range) => ({ all: () => read(() => target.values(range).all()) }),
      ...(target.getMany ? { getMany: (keys: Uint8Array[]) => read(() => target.getMany!(keys)) } : {}),
    };
  }

  #checkFolder(): void {
    try {
      this.#folder.check();
    } catch (error) {
      this.#gone = error as StorageError;
      throw error;
    }
  }

  /**
   * How many times the database was reopened so far once writes may go on (after a reopen a failed write calls for):
   * what was read before a reopen may be gone after it. At once while nothing is to wait for (every batch asks);
   * otherwise a promise, which rejects as a write would.
   */
  ready(): number | Promise<number> {
    if (!this.#mustWait) return this.#reopens;
    return this.#ready().then(() => this.#reopens);
  }

  /** A reopen is due (or the folder is gone): writes wait for `#ready`. */
  get #mustWait(): boolean {
    return this.#gone !== undefined || (this.#broken && !this.closed);
  }

  /** How many times the database was reopened so far (what `ready` resolves with), without waiting for a reopen. */
  get reopens(): number {
    return this.#reopens;
  }

  async #ready(): Promise<void> {
    if (this.#gone) throw this.#gone;
    if (!this.#broken || this.closed) return;
    this.#reopening ??= this.#reopen().finally(() => (this.#reopening = null));
    await this.#reopening;
  }

  async #reopen(): Promise<void> {
    this.#checkFolder(); // never reopen (an empty database) where the folder was deleted
    // The open replays the log into a table (as large as the log, for data that does not compress): a reopen that
    // failed for want of space would leave the database closed, and reads, which went on from it, failing too.
    const { free, needed } = await replayRoom(this.location);
    if (free < needed) {
      throw new StorageError(
        "ERR_STORAGE_FULL",
        `The disk of ${this.location} is full (${megabytes(free)} free, reopening the database after the failed write ` +
          `takes some ${megabytes(needed)}): free space on it, writes resume once space returns`,
      );
    }
    await this.#reads.drain(); // reads begun before the failure was known; later ones wait for this reopen
    try {
      if (this.db.status === "open") await this.db.close();
      await this.db.open();
    } catch (error) {
      throw writeError("the database (reopening it after a failed write)", this.location, error);
    }
    this.#folder.renew();
    this.#broken = false;
    this.#reopens++;
    this.onReopened();
  }
}
