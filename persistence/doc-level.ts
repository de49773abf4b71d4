/**
 * The LevelDB engine's document store: each document's log in y-leveldb's layout (doc-keys.ts), written through the
 * group committer with its acked record in every batch (ack-record.ts), loaded only when no acknowledged entry is
 * missing, compacted when long. Each log's end (last clock, entries, bytes) is read once and then kept, so appends do
 * not read the log.
 */
import { findDamage, logEntryOf, readDocument, readMeta, type DocMeta } from "./ack-check.js";
import { encodeLogEnd, type LogEnd } from "./ack-record.js";
import { entriesOfRun } from "./append-entries.js";
import { defaults } from "./defaults.js";
import type { BatchOp, ByteDb } from "./byte-db.js";
import * as keys from "./doc-keys.js";
import { closedError, damagedError, docSubject, readError, reasonOf, writeError } from "./errors.js";
import { GroupCommitter, type Writer } from "./group-commit.js";
import { inHeavyTurn } from "./heavy-work.js";
import { InFlight } from "./in-flight.js";
import { compactionOf, mergeLogInTurns, type Compaction, type LogEntry, type MergeResult } from "./merge.js";
import { isSealed, sealOp } from "./seal.js";
import { encodeUpdateStateVector } from "../src/protocol/update-format.js";
import { StorageError, type AppendOptions, type CompactionSource, type DocStats, type DocStore, type StorageWarning } from "./types.js";

export interface LevelDocStoreOptions {
  /** Folder, for messages. */
  location: string;
  sync?: boolean;
  /** See `defaults.maxJobsPerBatch`, `maxUpdatesPerEntry`, `commitIntervalMs`. */
  maxJobsPerBatch?: number;
  maxUpdatesPerEntry?: number;
  commitIntervalMs?: number;
  /** See `defaults.compactOnLoadAbove`. */
  compactOnLoadAbove?: number;
  /** See `defaults.idleLogsKept`. */
  idleLogsKept?: number;
  onWarning?: (warning: StorageWarning) => void;
  /** Told, after each batch lands, the log's end of every document in it (`null`: deleted), for the ack journal. */
  onCommitted?: (landed: ReadonlyArray<readonly [name: string, end: LogEnd | null]>) => void;
  /**
   * How many times the database was reopened, once it takes writes (reopened after a failed one: write-guard.ts; a
   * promise while it must be waited for): a reopen's replay may have dropped what was read of a document before it (a batch refused beside a
   * failed one), so each batch is built after this, and what was read is forgotten when the count changed.
   */
  whenWritable?: () => number | Promise<number>;
  /**
   * How many times the database was reopened so far, without waiting: a compaction built on a read of the log lands
   * only if the count is the same when its batch is built (see `#compact`).
   */
  reopens?: () => number;
}

/**
 * What this process knows of one document's log. Builds update it in queue order (before their batch lands);
 * a failed batch makes it reread from disk.
 */
interface LogState {
  lastClock: number;
  updates: number;
  bytes: number;
}

/**
 * One document: its log state, the clocks found corrupt (never deleted by compaction), and its part in the shared
 * batches (group-commit.ts): each batch that changes its log also records the log's end (ack-record.ts).
 */
class DocLog implements Writer<BatchOp> {
  /** Bumped by `delete`, so a compaction that raced it does not bring the document back. */
  generation = 0;
  readonly corruptClocks = new Set<number>();
  #state: Promise<LogState> | null = null;
  /** What `#state` resolved with (the same object, which builds advance), until it is dropped. */
  #known: LogState | undefined;
  /** Bumped whenever the known state is dropped (a failed read or batch), so a read begun before is not trusted. */
  #version = 0;
  /**
   * The highest clock a batch was built with, landed or not: never handed out again. A batch refused beside a failed
   * write may still be in LevelDB until a reopen's replay drops it (write-guard.ts); a compaction that read it before
   * deletes up to its clock, which must not cover an entry written after.
   */
  #clockFloor = -1;
  /** Serialises compactions of this document. */
  compacting: Promise<void> = Promise.resolve();
  /** Operations under way, and live rooms that `keep` it: a held log is never dropped (its queue, generation and
   * state are in use). */
  holds = 0;
  /** The log's end as the batch being committed leaves it (set by `seal`), for the ack journal. */
  sealed: LogEnd | null = null;
  /**
   * The whole log as the last read of its state found it, with that state: a load right after (a GET of an unloaded
   * document asks whether it is stored, then loads it) takes it instead of reading the log again. Kept until the end
   * of the turn of the event loop, and used only while the state is still what it was read as.
   */
  #lastRead: { entries: LogEntry[]; lastClock: number; updates: number } | null = null;
  /** A load found the log as it knows it and no damage: an empty log is then one never written (see `stats`). */
  checkedUndamaged = false;
  /** Its last run of appends (group-commit.ts `add`) and what `append` returned for it: every append of a run shares it. */
  openRun: { landed: Promise<void>; written: Promise<void> } | null = null;
  /** Its keys, the name encoded once (every append writes both). */
  readonly updateKey: (clock: number) => Uint8Array;
  readonly #ackedKey: Uint8Array;

  constructor(
    readonly name: string,
    private readonly db: ByteDb,
  ) {
    this.updateKey = keys.updateKeyOf(name);
    this.#ackedKey = keys.ackedKey(name);
  }

  /**
   * This batch's builds of the document have run and the next batch's have not: the state is the log's end after it.
   * Recorded in the same batch, so a load can tell a log that lost acknowledged entries (ack-record.ts).
   */
  seal(): BatchOp[] | Promise<BatchOp[]> {
    const known = this.known;
    return known ? this.#sealAt(known) : this.state().then((state) => this.#sealAt(state));
  }

  #sealAt({ lastClock, updates }: LogState): BatchOp[] {
    this.sealed = lastClock < 0 ? null : { clock: lastClock, updates };
    return this.sealed ? [{ type: "put", key: this.#ackedKey, value: encodeLogEnd(this.sealed) }] : [];
  }

  /** `clock` goes to a batch's entry: never handed out again, whether it lands or not. */
  handOut(clock: number): number {
    this.#clockFloor = Math.max(this.#clockFloor, clock);
    return clock;
  }

  /** Clocks and counts were advanced for a batch that did not land: read them again. */
  failed(): void {
    this.checkedUndamaged = false;
    this.#state = null;
    this.#known = undefined;
    this.#version++;
  }

  /** The state `state()` resolves with, once it has: builds that find it need not wait a turn for it. */
  get known(): LogState | undefined {
    return this.#known;
  }

  /** Identifies what is known now; `knowFrom` takes a read only if nothing was learnt or dropped since. */
  get version(): number {
    return this.#state ? -1 : this.#version;
  }

  /**
   * Takes the state from a read of the whole log (a load) that began at `version`, if no write came between. The load
   * checked it against the document's records (nothing acknowledged is missing), so `stats` need not read them again.
   */
  knowFrom(entries: readonly LogEntry[], version: number): void {
    if (this.#state || version !== this.#version) return;
    this.checkedUndamaged = true;
    this.#known = this.#stateOf(entries);
    this.#state = Promise.resolve(this.#known);
  }

  state(): Promise<LogState> {
    if (this.#state) return this.#state;
    const version = this.#version;
    this.#state = this.#read().then(
      (state) => {
        if (version === this.#version) this.#known = state;
        return state;
      },
      (error: unknown) => {
        if (version === this.#version) this.failed();
        throw error;
      },
    );
    return this.#state;
  }

  /** The log as the last read of its state found it, if nothing was written since (see `#lastRead`). */
  async takeLastRead(): Promise<LogEntry[] | undefined> {
    const read = this.#lastRead;
    this.#lastRead = null;
    const state = read && (await this.#state?.catch(() => undefined));
    return state && state.lastClock === read.lastClock && state.updates === read.updates ? read.entries : undefined;
  }

  async #read(): Promise<LogState> {
    const entries = await readLogEntries(this.db, this.name);
    const state = this.#stateOf(entries);
    if (this.#lastRead === null) setImmediate(() => void (this.#lastRead = null));
    this.#lastRead = { entries, lastClock: state.lastClock, updates: state.updates };
    return state;
  }

  /** The state a read of the whole log says; its last clock is at least the last one handed out (`handOut`), landed or not. */
  #stateOf(entries: readonly LogEntry[]): LogState {
    const last = entries.at(-1);
    return {
      lastClock: Math.max(last ? last.clock : -1, this.#clockFloor),
      updates: entries.length,
      bytes: entries.reduce((sum, entry) => sum + entry.update.byteLength, 0),
    };
  }
}

/** A document's whole log, in clock order. */
async function readLogEntries(db: ByteDb, name: string): Promise<LogEntry[]> {
  return (await db.iterator(keys.logRange(name)).all()).map(logEntryOf);
}

/**
 * DocStore on LevelDB in y-leveldb's layout. Writes of every document go through one group committer: the appends,
 * compactions and deletions waiting together land as one LevelDB batch, with one fsync.
 */
export class LevelDocStore implements DocStore {
  /** In least recently used order; idle ones past `idleLogsKept` are dropped. */
  readonly #logs = new Map<string, DocLog>();
  readonly #inFlight = new InFlight();
  readonly #committer: GroupCommitter<BatchOp, DocLog>;
  #closed = false;
  /** Reopens of the database as the last batch found them (see `whenWritable`). */
  #reopensSeen = 0;

  constructor(
    private readonly db: ByteDb,
    private readonly options: LevelDocStoreOptions,
  ) {
    this.#committer = new GroupCommitter({
      commit: async (ops, writers) => {
        await db.batch(ops, { sync: options.sync ?? defaults.sync });
        options.onCommitted?.(writers.map((log) => [log.name, log.sealed] as const));
      },
      maxJobsPerBatch: options.maxJobsPerBatch ?? defaults.maxJobsPerBatch,
      maxItemsPerRun: options.maxUpdatesPerEntry ?? defaults.maxUpdatesPerEntry,
      commitIntervalMs: options.commitIntervalMs ?? defaults.commitIntervalMs,
      ...(options.whenWritable ? { ready: () => this.#whenWritable(options.whenWritable!) } : {}),
    });
  }

  load(name: string): Promise<Uint8Array | null> {
    const log = this.#log(name);
    return this.#held(log, this.#load(log, name));
  }

  async #load(log: DocLog, name: string): Promise<Uint8Array | null> {
    const generation = log.generation;
    const version = log.version;
    const readAt = this.#reopens();
    // A GET of an unloaded document has just read the whole log to learn whether it is stored: read once (not across
    // a reopen the store's batches have not seen yet, which may have dropped part of what it read).
    const lastRead = readAt === this.#reopensSeen ? await log.takeLastRead() : undefined;
    const { entries, meta } = lastRead ? { entries: lastRead, meta: await this.#readMeta(name) } : await this.#readDocument(name);
    await this.#refuseDamaged(name, entries, meta);
    // The room asks for the log's size right after loading: no second read of the whole log for it.
    if (log.generation === generation) log.knowFrom(entries, version);
    const lone = entries.length === 1 ? entries[0]! : undefined;
    // A merge is a pass over the whole document: rooms loading together (a restart's clients coming back) take turns.
    const merged = lone && isSealed(meta.seal, lone) ? lone.update : await this.#merge(name, entries, mergeLogInTurns);
    const longLog = entries.length > (this.options.compactOnLoadAbove ?? defaults.compactOnLoadAbove);
    if (merged && longLog && !this.#closed) {
      // The merge is done already: replacing what was read with it costs one write. Appends made since the read have
      // higher clocks and are kept.
      this.#compactInBackground(log, entries.at(-1)!.clock, generation, merged, readAt);
    }
    return merged;
  }

  #compactInBackground(log: DocLog, upTo: number, generation: number, merged: Uint8Array, readAt: number): void {
    this.#chainCompaction(log, log.compacting, upTo, generation, compactionOf(merged), readAt).catch((error: unknown) =>
      this.options.onWarning?.({
        code: error instanceof StorageError ? error.code : "ERR_STORAGE_WRITE",
        doc: log.name,
        message: `Compacting ${docSubject(log.name)} after loading it failed (it stays as it was): ${reasonOf(error)}`,
      }),
    );
  }

  /** Runs a compaction once `ready` resolves, after this document's earlier compactions. `readAt`: see `#compact`. */
  #chainCompaction(
    log: DocLog,
    ready: Promise<unknown>,
    upTo: number | (() => number),
    generation: number,
    compaction: Compaction,
    readAt?: number,
  ): Promise<void> {
    const run = Promise.all([ready, log.compacting]).then(() => this.#compact(log, typeof upTo === "number" ? upTo : upTo(), generation, compaction, readAt));
    log.compacting = run.catch(() => undefined);
    return this.#held(log, this.#track(run));
  }

  /** Merges log entries; reports and remembers the corrupt ones (the rule in docs/persistence.md). */
  async #merge(name: string, entries: LogEntry[], merge: (entries: LogEntry[]) => Promise<MergeResult>): Promise<Uint8Array | null> {
    const { merged, corrupt } = await merge(entries);
    const log = this.#log(name);
    for (const { clock, reason } of corrupt) {
      log.corruptClocks.add(clock);
      this.options.onWarning?.({
        code: "ERR_STORAGE_CORRUPT",
        doc: name,
        message:
          `Skipped stored update #${clock} of ${docSubject(name)} in ${this.options.location}: it cannot be decoded ` +
          `(${reason}). It stays on disk untouched until the document is deleted.`,
      });
    }
    return merged;
  }

  append(name: string, update: Uint8Array, options?: AppendOptions): Promise<void> {
    const bytes = new Uint8Array(update); // a copy: the caller may reuse its buffer
    // Consecutive appends of the document join one run: one merged entry in the next batch, and one promise for all.
    if (this.#closed) return Promise.reject(closedError(docSubject(name), this.options.location));
    const log = this.#log(name);
    const landed = this.#committer.add(log, bytes, (run) => appendOps(log, run), options);
    if (log.openRun?.landed !== landed) log.openRun = { landed, written: this.#written(log, landed) };
    return log.openRun.written;
  }

  compact(name: string, source?: CompactionSource): Promise<void> {
    const log = this.#log(name);
    const generation = log.generation;
    // Everything appended before this call is at or below `upTo`; later appends get higher clocks and are kept.
    let upTo = -1;
    const marked = this.#write(name, () =>
      this.#committer.enqueue(log, async () => {
        upTo = (await log.state()).lastClock;
        return [];
      }),
    );
    return this.#chainCompaction(log, marked, () => upTo, generation, compactionOf(source));
  }

  /**
   * Replaces the log's entries up to `upTo` with one snapshot. What it replaces (and a load's snapshot, `given`) was
   * read outside the group commit: a batch refused beside a failed write may have been in LevelDB's memory then, and
   * the reopen after it drops it (write-guard.ts). Replacing it would leave the acked record counting one entry fewer
   * than the log holds, so a later lost entry would go unnoticed: once the database was reopened since the read
   * (`readAt`, or this read's own count), the compaction is left out and the log stays as it is (the room's next
   * compaction, or the next load, does it).
   */
  async #compact(log: DocLog, upTo: number, generation: number, { given, merge }: Compaction, readAt = this.#reopens()): Promise<void> {
    if (upTo < 0 && !given) return;
    const logged = (await this.#readLog(log.name)).filter((e) => e.clock <= upTo);
    const snapshot = given ?? (await this.#merge(log.name, logged, (entries) => inHeavyTurn(() => merge(entries))));
    if (!snapshot) return;
    const replaced = logged.filter((e) => !log.corruptClocks.has(e.clock)); // corrupt entries are never deleted
    await this.#write(
      log.name,
      () =>
        this.#committer.enqueue(log, async () => {
          if (log.generation !== generation) return []; // deleted meanwhile: do not resurrect it
          if (this.#reopens() !== readAt) return []; // what was read may be gone (see above)
          const state = await log.state();
          const clock = log.handOut(state.lastClock + 1);
          state.lastClock = clock;
          state.updates += 1 - replaced.length;
          state.bytes += snapshot.byteLength - replaced.reduce((sum, e) => sum + e.update.byteLength, 0);
          return [
            { type: "put", key: keys.updateKey(log.name, clock), value: snapshot },
            ...headOps(log.name, clock, snapshot),
            ...replaced.map((e): BatchOp => ({ type: "del", key: keys.updateKey(log.name, e.clock) })),
          ];
        }),
      true,
    );
  }

  delete(name: string): Promise<void> {
    return this.#write(name, (log) =>
      this.#committer.enqueue(log, async () => {
        const stored = await this.db.keys(keys.documentRange(name)).all();
        const state = await log.state();
        // What this batch's earlier jobs put (appends, a compaction queued before the delete) is not stored yet, so
        // the read above leaves it out: deleted too, after them in the batch, with the seal a first entry puts.
        const unstored = [...unstoredEntryKeys(log, state.lastClock, stored), keys.sealKey(name)];
        const ops: BatchOp[] = [...stored, ...unstored, keys.indexKey(name)].map((key) => ({ type: "del", key }));
        log.generation += 1;
        log.corruptClocks.clear();
        Object.assign(state, { lastClock: -1, updates: 0, bytes: 0 });
        return ops;
      }),
    );
  }

  async names(): Promise<string[]> {
    try {
      const indexKeys = await this.db.keys(keys.indexRange).all();
      return indexKeys.map(keys.nameOfIndexKey).sort();
    } catch (error) {
      throw readError("the document list", this.options.location, error);
    }
  }

  async stats(name: string): Promise<DocStats> {
    const log = this.#log(name);
    try {
      const { updates, bytes } = await this.#held(log, log.state());
      // A document whose whole log was lost is still one that acknowledged writes: it must not pass for never written.
      if (updates === 0 && !log.checkedUndamaged && (await readMeta(this.db, name)).damage) return { updates, bytes, damaged: true };
      return { updates, bytes };
    } catch (error) {
      throw readError(docSubject(name), this.options.location, error);
    }
  }

  /** Waits for every write in flight, then refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#inFlight.drain();
  }

  keep(name: string): void {
    this.#log(name).holds++;
  }

  release(name: string): void {
    const log = this.#logs.get(name); // kept, so still there
    if (!log || log.holds === 0) return;
    log.holds--;
    this.#dropIdleLogs();
  }

  /**
   * Before a batch's builds: once the database was reopened since the last batch, what was read of it is forgotten.
   * Synchronous while nothing is to wait for (the usual batch: no promise for it).
   */
  #whenWritable(whenWritable: () => number | Promise<number>): Promise<void> | undefined {
    const reopens = whenWritable();
    if (typeof reopens !== "number") return reopens.then((count) => this.#noteReopens(count));
    this.#noteReopens(reopens);
    return undefined;
  }

  #noteReopens(reopens: number): void {
    if (reopens === this.#reopensSeen) return;
    this.#reopensSeen = reopens;
    for (const log of this.#logs.values()) log.failed();
  }

  #reopens(): number {
    return this.options.reopens?.() ?? 0;
  }

  /** Documents whose log state is kept now (held, recently used, or with corrupt entries to protect). */
  get logsKept(): number {
    return this.#logs.size;
  }

  #log(name: string): DocLog {
    let log = this.#logs.get(name);
    if (log) {
      this.#logs.delete(name); // re-inserted last: the most recently used
    } else {
      log = new DocLog(name, this.db);
    }
    this.#logs.set(name, log);
    return log;
  }

  /** Holds `log` until `operation` settles, then drops idle logs past the limit. */
  #held<T>(log: DocLog, operation: Promise<T>): Promise<T> {
    log.holds++;
    return operation.finally(() => {
      log.holds--;
      this.#dropIdleLogs();
    });
  }

  /**
   * Drops the least recently used idle logs past `idleLogsKept`. Never a held one, nor one that knows corrupt entries:
   * a compaction given the live state (not a merge of the log, which would find them again) must not delete those.
   */
  #dropIdleLogs(): void {
    let excess = this.#logs.size - (this.options.idleLogsKept ?? defaults.idleLogsKept);
    for (const [name, log] of this.#logs) {
      if (excess <= 0) return;
      if (log.holds > 0 || log.corruptClocks.size > 0) continue;
      this.#logs.delete(name);
      excess--;
    }
  }

  /** Queues a write. `finishing`: the second step of a compaction already under way, which `close` lets complete. */
  #write(name: string, queue: (log: DocLog) => Promise<void>, finishing = false): Promise<void> {
    if (this.#closed && !finishing) return Promise.reject(closedError(docSubject(name), this.options.location));
    const log = this.#log(name);
    return this.#written(log, queue(log));
  }

  /** A queued write of `log`, held and tracked until it lands; its failure as a `StorageError` naming the document. */
  #written(log: DocLog, queued: Promise<void>): Promise<void> {
    const written = queued.catch((error: unknown) => {
      throw writeError(docSubject(log.name), this.options.location, error);
    });
    return this.#held(log, this.#track(written));
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    return this.#inFlight.track(promise);
  }

  async #readDocument(name: string): Promise<{ entries: LogEntry[]; meta: DocMeta }> {
    try {
      return await readDocument(this.db, name);
    } catch (error) {
      throw readError(docSubject(name), this.options.location, error);
    }
  }

  async #readMeta(name: string): Promise<DocMeta> {
    try {
      return await readMeta(this.db, name);
    } catch (error) {
      throw readError(docSubject(name), this.options.location, error);
    }
  }

  /** Never hands out a document known to miss acknowledged writes (until `yparty repair` accepts what is left). */
  async #refuseDamaged(name: string, entries: readonly LogEntry[], meta: DocMeta): Promise<void> {
    let damage;
    try {
      damage = await findDamage(
        this.db,
        name,
        entries.map((entry) => entry.clock),
        meta,
      );
    } catch (error) {
      throw readError(docSubject(name), this.options.location, error);
    }
    if (damage) throw damagedError(name, this.options.location, damage);
  }

  async #readLog(name: string): Promise<LogEntry[]> {
    try {
      return await readLogEntries(this.db, name);
    } catch (error) {
      throw readError(docSubject(name), this.options.location, error);
    }
  }
}

/**
 * The keys of `log`'s entries handed out but not among `stored` (a read of the database before this batch): the clocks
 * from `lastClock` down to the last one stored, which earlier jobs of the batch being built put.
 */
function unstoredEntryKeys(log: DocLog, lastClock: number, stored: readonly Uint8Array[]): Uint8Array[] {
  const asText = (key: Uint8Array): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
  const storedKeys = new Set(stored.map(asText));
  const unstored: Uint8Array[] = [];
  for (let clock = lastClock; clock >= 0; clock--) {
    const key = log.updateKey(clock);
    if (storedKeys.has(asText(key))) break;
    unstored.push(key);
  }
  return unstored;
}

/** A run of appends as log entries (merged: append-entries.ts), each under the next clock. */
function appendOps(log: DocLog, run: Uint8Array[]): BatchOp[] | Promise<BatchOp[]> {
  const known = log.known;
  return known ? appendOpsAt(log, known, run) : log.state().then((state) => appendOpsAt(log, state, run));
}

function appendOpsAt(log: DocLog, state: LogState, run: Uint8Array[]): BatchOp[] {
  const ops: BatchOp[] = [];
  for (const entry of entriesOfRun(run)) {
    const clock = log.handOut(state.lastClock + 1);
    ops.push({ type: "put", key: log.updateKey(clock), value: entry });
    // y-leveldb lists documents by the index entry; a first update may stay the only one (a bulk import)
    if (state.updates === 0) ops.push(...headOps(log.name, clock, entry));
    state.lastClock = clock;
    state.updates += 1;
    state.bytes += entry.byteLength;
  }
  return ops;
}

/**
 * The index entry of a log's first entry or its compacted whole (y-leveldb lists documents by it; its state vector
 * is a hint, the empty one for an update that cannot be read), and its seal: one walk of the update for both, which
 * makes no struct objects (a bulk import's first entry may hold a million structs).
 */
function headOps(name: string, clock: number, update: Uint8Array): BatchOp[] {
  const stateVector = encodeUpdateStateVector(update);
  const readable = typeof stateVector !== "string";
  const index: BatchOp = { type: "put", key: keys.indexKey(name), value: keys.encodeIndexValue(readable ? stateVector : Uint8Array.of(0), clock) };
  return readable ? [index, sealOp(name, clock, update)] : [index];
}
