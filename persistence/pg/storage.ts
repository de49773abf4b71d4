/**
 * The PostgreSQL engine (`openStorage({ url })`, `--store postgres://…`): opens the pool, migrates the schema, takes
 * the instance lock (exclusive standalone, shared in a cluster) and owns the one group committer that writes every
 * room's documents and key-value entries in fenced transactions, committed again after an interruption until they
 * land. docs/persistence.md, "PostgreSQL".
 */
import { hostname } from "node:os";
import { WeakRoomStores } from "../weak-room-stores.js";
import type { Pool, PoolClient } from "pg";
import { defaults } from "../defaults.js";
import { docSubject, readError, reasonOf } from "../errors.js";
import { GroupCommitter, type Refusals, type Writer } from "../group-commit.js";
import { InFlight } from "../in-flight.js";
import { RoomKvStore } from "../kv-store.js";
import type { OnStorageProgress } from "../progress.js";
import { StorageError, type KvStore, type Storage, type StorageWarning } from "../types.js";
import { Claims, fencedError } from "./claims.js";
import { commitBatch, type Committed, leftConnectionClean, type PgOp } from "./commit.js";
import { PgDocStore } from "./doc-pg.js";
import { InstanceLock } from "./instance-lock.js";
import { PgKvBackend } from "./kv-pg.js";
import { BoundedReads, READERS_AT_ONCE } from "./bounded-read.js";
import { readLog } from "./log-read.js";
import { fromText } from "./names.js";
import { refusedWrite } from "./refused-write.js";
import { migrate } from "./schema.js";
import { backoffMs, isTimedOut, isTransient, mayBeOneWrites } from "./transient.js";
import { redactUrl, withPassword } from "./url.js";

export interface PostgresStorageOptions {
  /** `postgres://user:password@host:port/database` (any libpq-style URL `pg` accepts). */
  url: string;
  /** The password when `url` has none (else pg reads $PGPASSWORD at each new connection). */
  password?: string;
  /**
   * `"standalone"` (default): this process is the only yparty on the database (an exclusive instance lock; a second
   * one fails with ERR_STORAGE_LOCKED), and a room is claimed at its first write. `"cluster"`: nodes share the
   * database (a shared lock, which a standalone server's refuses), and only rooms claimed through `claim` are written.
   */
  mode?: "standalone" | "cluster";
  /** Written in `rooms.owner` by claims (the node's advertise address in a cluster). Default `host:pid`. */
  owner?: string;
  /**
   * Key-value stores (by room) that every node of a cluster writes, such as the runtime's server-wide alarms store
   * (`__yparty:alarms`): never claimed, written without a fence check. Default none. Documents cannot be shared.
   */
  sharedRooms?: readonly string[];
  /** Connections in the pool (commits use one at a time; loads and reads the others). Default 10. */
  poolSize?: number;
  /**
   * How long a statement may go unanswered (PostgreSQL frozen, a network path that drops packets without a reset)
   * before it is given up on: a read then fails with ERR_STORAGE_READ (a room that cannot load answers 503), a commit
   * is committed again on a new connection (its outcome is unknown; the batch is idempotent). Default 30 s.
   */
  queryTimeoutMs?: number;
  /** See `defaults.compactOnLoadAbove`. */
  compactOnLoadAbove?: number;
  /** See `defaults.commitIntervalMs`. */
  commitIntervalMs?: number;
  onWarning?: (warning: StorageWarning) => void;
  /** Long work of the open (a schema migration, or a wait for another node's), line by line (progress.ts). Default: none. */
  onProgress?: OnStorageProgress;
}

/** The fencing primitives a cluster uses (docs/persistence.md, "Fencing"). */
export interface Fencing {
  /**
   * Claims `room` for this storage: bumps its fence in `rooms` (one statement) and makes every later write of the
   * room through this storage (appends, compactions and deletion of document `room`, writes of `kv(room)`) carry the
   * new fence. Resolves with it. Writes carrying an older fence (this storage's before, or another node's) are refused.
   */
  claim(room: string, owner?: string): Promise<number>;
  /** The room's fence in the database now (whoever claimed it); `undefined` when it was never claimed. */
  fenceOf(room: string): Promise<number | undefined>;
  /** The fence this storage's writes of `room` carry now; `undefined` when it holds no claim on it. */
  heldFence(room: string): Promise<number | undefined>;
  /** Drops this storage's claim on `room` (it moved, or was unloaded): later writes are refused (cluster) or claim anew. */
  forget(room: string): void;
}

const ignore = (): void => undefined;

/** A writer in the shared batches: a document's log or a room's key-value store. */
type PgWriter = Writer<PgOp> & { room: string };

/** `PostgresStorageOptions.poolSize`'s default. */
const POOL_SIZE = 10;
/** `PostgresStorageOptions.queryTimeoutMs`'s default. */
const QUERY_TIMEOUT_MS = 30_000;
/** How long opening a connection may take (also at most the query timeout). */
const CONNECT_TIMEOUT_MS = 10_000;

/** How long writes that cannot commit are retried once `close()` was called, before they fail. */
const CLOSE_GRACE_MS = 10_000;

/**
 * Both contracts on PostgreSQL (`persistence/pg/`): documents in `doc_updates`/`doc_acks`, rooms' key-value stores in
 * `room_kv`, every write fenced by its room's row in `rooms`. All writes of the storage go through one group committer:
 * what waits together is one transaction, acknowledged after its COMMIT; a batch whose commit was interrupted is
 * committed again until it lands.
 */
export class PostgresStorage implements Storage, Fencing {
  readonly docs: PgDocStore;
  readonly #claims: Claims;
  readonly #committer: GroupCommitter<PgOp, PgWriter>;
  /** Each room's store while anything holds it (a live room, a write in flight). */
  readonly #rooms = new WeakRoomStores();
  readonly #kvWrites = new InFlight();
  /** Loads' reads of logs and `list`s, in bounded pieces, a few at once (bounded-read.ts). */
  readonly #reads: BoundedReads;
  #closedAt: number | undefined;
  #closing: Promise<void> | undefined;
  /** Whether the last commit attempt failed for want of PostgreSQL (warned once per outage). */
  #waiting = false;
  /** Documents whose stopped compaction was told under their current claim (`#compactionStopped`). */
  readonly #stoppedCompactions = new Set<string>();

  private constructor(
    readonly location: string,
    private readonly pool: Pool,
    private readonly lock: InstanceLock,
    private readonly options: PostgresStorageOptions,
  ) {
    this.#claims = new Claims(
      async (text, values) => (await pool.query(text, values)).rows,
      options.owner ?? `${hostname()}:${process.pid}`,
      (options.mode ?? "standalone") === "standalone",
      location,
      new Set(options.sharedRooms),
    );
    this.#committer = new GroupCommitter<PgOp, PgWriter>({
      commit: (ops, writers) => this.#commit(ops, writers),
      // `#commit` retries what a lost connection failed; what it throws otherwise may be one write's own (a key too
      // long): the batch is split so that only that write fails, and every other room's commits.
      isolates: mayBeOneWrites,
      maxJobsPerBatch: defaults.maxJobsPerBatch,
      maxItemsPerRun: defaults.maxUpdatesPerEntry,
      commitIntervalMs: options.commitIntervalMs ?? defaults.commitIntervalMs,
    });
    // A commit always finds a connection: long reads hold at most all but one.
    this.#reads = new BoundedReads(pool, location, Math.max(1, Math.min(READERS_AT_ONCE, (options.poolSize ?? POOL_SIZE) - 1)));
    this.docs = new PgDocStore({
      location,
      committer: this.#committer,
      claims: this.#claims,
      read: this.#read,
      readLog: (subject, room, purpose) => readLog(this.#reads, subject, room, purpose),
      compactOnLoadAbove: options.compactOnLoadAbove ?? defaults.compactOnLoadAbove,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
  }

  /**
   * Connects, creates or migrates the tables, and takes the instance lock. Rejects with `StorageError`:
   * ERR_STORAGE_READ when PostgreSQL cannot be reached (the message names the URL without its password, and why),
   * ERR_STORAGE_LOCKED when another yparty holds the database in a conflicting mode.
   */
  static async open(options: PostgresStorageOptions): Promise<PostgresStorage> {
    const location = redactUrl(options.url);
    // pg loads only for a server that stores in PostgreSQL.
    const { default: pg } = await import("pg");
    // Without a timeout a statement sent to a frozen PostgreSQL waits forever: loads hang, commits never retry. A new
    // connection waits for it as well (the kernel accepts it, the frozen server never greets): no longer than a statement.
    const queryTimeout = options.queryTimeoutMs ?? QUERY_TIMEOUT_MS;
    const config = { connectionString: withPassword(options.url, options.password), connectionTimeoutMillis: Math.min(CONNECT_TIMEOUT_MS, queryTimeout) };
    const pool = new pg.Pool({ ...config, max: options.poolSize ?? POOL_SIZE, query_timeout: queryTimeout });
    pool.on("error", () => undefined); // an idle connection lost (PostgreSQL restarted): the next query opens another
    let lock: InstanceLock;
    try {
      const client = await pool.connect();
      // Its connection cut during the migration or the wait for another node's (PostgreSQL restarted, the backend
      // ended: what ERR_STORAGE_LOCKED tells an operator to do to a stuck one), a checked-out client emits "error",
      // which no one else listens to: the process died of it. The statement under way rejects with it: the start fails.
      client.on("error", ignore);
      let failed: Error | undefined;
      try {
        await migrate(client, location, { queryTimeoutMs: queryTimeout, onProgress: options.onProgress });
      } catch (error) {
        failed = error as Error;
        if (error instanceof StorageError) throw error;
        // Connected, then cut (or refused) half-way: not a wrong URL, as the catch below would guess.
        const cause = isTimedOut(error)
          ? `: one of its statements took longer than the query timeout (${queryTimeout} ms). Start again with a longer one (--query-timeout <ms>, or "queryTimeoutMs" in the config's store)`
          : ". Start again once that is fixed (PostgreSQL restarted or stopped, the connection cut, or a user not allowed to create tables?)";
        throw new StorageError(
          "ERR_STORAGE_READ",
          `Could not open ${location}: its schema migration failed (${reasonOf(error)}). It is one transaction: it was rolled back, nothing is lost${cause}`,
          { cause: error },
        );
      } finally {
        client.off("error", ignore);
        client.release(failed); // a failed connection is not reused
      }
      lock = await InstanceLock.take(pg.Client, config, options.mode === "cluster" ? "shared" : "exclusive", location, options.onWarning);
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (error instanceof StorageError) throw error;
      throw new StorageError(
        "ERR_STORAGE_READ",
        `Could not open ${location}: ${reasonOf(error)} (is PostgreSQL running there, and do the URL's user, password and database exist?)`,
        { cause: error },
      );
    }
    return new PostgresStorage(location, pool, lock, options);
  }

  claim(room: string, owner?: string): Promise<number> {
    // The remedy a stopped compaction's warning gives: one stopped under this new fence is told again.
    this.#stoppedCompactions.delete(room);
    return this.#claims.claim(room, owner);
  }

  fenceOf(room: string): Promise<number | undefined> {
    return this.#claims.fenceOf(room);
  }

  heldFence(room: string): Promise<number | undefined> {
    return this.#claims.heldFence(room);
  }

  forget(room: string): void {
    this.#claims.forget(room);
  }

  kv(room: string): KvStore {
    return this.#rooms.of(room, () => {
      const backend = new PgKvBackend(room, {
        location: this.location,
        committer: this.#committer,
        claims: this.#claims,
        read: this.#read,
        readRange: (subject, range) => this.#reads.range(subject, range),
        chunkBytes: this.#reads.chunkBytes,
        isClosed: () => this.#closedAt !== undefined,
        track: (write) => this.#kvWrites.track(write),
      });
      return new RoomKvStore(room, this.location, backend);
    });
  }

  async kvRooms(): Promise<Map<string, number>> {
    const rows = await this.#read("the room list", "SELECT room, count(*)::int AS entries FROM room_kv GROUP BY room", []);
    return new Map(rows.map((row) => [fromText(row.room as string), row.entries as number]));
  }

  /**
   * Stops the loads and lists under way at their next piece (they fail with ERR_STORAGE_READ: a closing storage takes
   * no more writes of what they would answer), lets the writes under way land (retrying for up to 10 s if PostgreSQL is
   * away), then releases the database.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** `close()`'s one run: every call resolves once the database is released. */
  async #close(): Promise<void> {
    this.#closedAt = performance.now();
    // At once: a compaction under way (one of the writes) may wait for its turn behind them, or `pool.end()` would.
    this.#reads.stopAnswers();
    await Promise.all([this.docs.close(), this.#kvWrites.drain()]);
    this.#reads.close();
    await this.lock.release();
    await this.pool.end();
  }

  readonly #read = async (subject: string, text: string, values: unknown[]): Promise<Array<Record<string, unknown>>> => {
    try {
      return (await this.pool.query(text, values)).rows;
    } catch (error) {
      throw readError(subject, this.location, error);
    }
  };

  async #commit(ops: PgOp[], writers: readonly PgWriter[]): Promise<Refusals<PgWriter> | undefined> {
    const { refused, stopped } = await this.#commitUntilKnown(ops);
    for (const snapshot of stopped) this.#compactionStopped(snapshot);
    if (refused.size === 0) return undefined;
    const fences = new Map(ops.map((op) => [op.room, op.fence]));
    const refusals = new Map<PgWriter, Error>();
    for (const writer of writers) {
      if (!refused.has(writer.room)) continue;
      const error = fencedError(writer.room, this.location, fences.get(writer.room)!, refused.get(writer.room));
      refusals.set(writer, error);
      this.options.onWarning?.({ code: "ERR_FENCED", doc: writer.room, message: error.message });
    }
    return refusals;
  }

  /**
   * A compaction of `room` was stopped: its snapshot's key held other bytes, so the entries it replaces were kept (the
   * log is whole, and longer). Said once per document and claim: each later compaction under it may stop the same way.
   */
  #compactionStopped({ room, fence, seq }: Committed["stopped"][number]): void {
    if (this.#stoppedCompactions.has(room)) return;
    this.#stoppedCompactions.add(room);
    this.options.onWarning?.({
      code: "ERR_STORAGE_WRITE",
      level: "error",
      doc: room,
      message:
        `Compacting ${docSubject(room)} in ${this.location} was stopped: the key (${fence}:${seq}) its snapshot was to take in ` +
        "doc_updates already holds another entry, so the entries it replaces were kept (nothing is lost; the log grows, and " +
        "loads slow down). Something other than yparty wrote rows under the room's fence: inserted by hand, or restored from a " +
        "backup into the running database? Stop that writer, then restart this server, or move " +
        "the room to another node of the cluster: its next claim of the room takes a fence past every stored one, and its " +
        "compactions run again.",
    });
  }

  /**
   * Commits the batch, again and again while PostgreSQL cannot be reached or the outcome is unknown (the batch is
   * idempotent: commit.ts), so its jobs' acks wait rather than fail. Other errors fail the batch (the group committer
   * then splits it to find the writes that fail on their own: `isolates`).
   */
  async #commitUntilKnown(ops: PgOp[]): Promise<Committed> {
    for (let attempt = 1; ; attempt++) {
      let client: PoolClient | undefined;
      try {
        client = await this.pool.connect();
        // A checked-out client that loses its connection emits "error" (the pool listens only to idle ones); the
        // statement under way rejects with it too, which is what is handled here.
        client.on("error", ignore);
        const committed = await commitBatch(client, ops);
        client.off("error", ignore);
        client.release();
        this.#reads.answered();
        if (this.#waiting) {
          this.#waiting = false;
          this.options.onWarning?.({ code: "ERR_STORAGE_WRITE", message: `Writing to ${this.location} again after ${attempt - 1} failed attempt(s)` });
        }
        return committed;
      } catch (error) {
        client?.off("error", ignore);
        client?.release(leftConnectionClean(error) ? undefined : (error as Error)); // a failed connection is not reused
        const closing = this.#closedAt !== undefined && performance.now() - this.#closedAt > CLOSE_GRACE_MS;
        if (!isTransient(error)) throw refusedWrite(error, ops, this.location);
        if (closing) throw error;
        if (!this.#waiting) {
          this.#waiting = true;
          this.options.onWarning?.({
            code: "ERR_STORAGE_WRITE",
            message: `Could not commit to ${this.location} (${reasonOf(error)}): writes wait and are retried until PostgreSQL answers`,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
      }
    }
  }
}

/** Whether `storage` can be fenced (the PostgreSQL engine): what a cluster needs of its storage. */
export function hasFencing(storage: Storage): storage is Storage & Fencing {
  return storage instanceof PostgresStorage;
}
