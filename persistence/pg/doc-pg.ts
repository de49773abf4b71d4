/**
 * Documents on PostgreSQL: each room's update log in `doc_updates` (rows keyed by the writer's fence and a sequence
 * number, so two claims never collide) and its ack record in `doc_acks`. Appends go through the storage's group
 * committer, fenced; a load reads the log in one snapshot in bounded pieces (log-read.ts) and merges it in turns; a
 * compaction replaces what it merged with one snapshot entry, never an entry it could not decode.
 */
import { createHash } from "node:crypto";
import { entriesOfRun } from "../append-entries.js";
import type { Damage } from "../ack-record.js";
import { closedError, damagedError, docSubject, reasonOf, writeError } from "../errors.js";
import type { GroupCommitter, Writer } from "../group-commit.js";
import { InFlight } from "../in-flight.js";
import { inHeavyTurn } from "../heavy-work.js";
import { compactionOf, compactLog, mergeLogInTurns, type Compaction, type LogEntry, type MergeResult } from "../merge.js";
import { StorageError, type AppendOptions, type CompactionSource, type DocStats, type DocStore, type StorageWarning } from "../types.js";
import type { Claims } from "./claims.js";
import type { ReadPurpose } from "./bounded-read.js";
import type { PgOp, SnapshotKey } from "./commit.js";
import type { AckRecord, StoredLog } from "./log-read.js";
import { fromText, toText } from "./names.js";

/** Reads through the storage's pool; failures come back as `StorageError` naming `subject`. */
export type ReadQuery = (subject: string, text: string, values: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** A log entry's key: `(fence, seq)`, compared in that order. */
type EntryKey = readonly [fence: number, seq: number];
const keyText = ([fence, seq]: EntryKey): string => `${fence}:${seq}`;
const atOrBelow = (a: EntryKey, b: EntryKey): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]);

/** One document's part in the shared batches, and what must outlive a single call: its generation and corrupt entries. */
class DocLog implements Writer<PgOp> {
  /** Bumped by `delete`, so a compaction that raced it does not bring the document back. */
  generation = 0;
  /** Entries that cannot be decoded: never deleted by a compaction. */
  readonly corrupt = new Set<string>();
  compacting: Promise<void> = Promise.resolve();
  holds = 0;
  constructor(readonly room: string) {}
  seal(): PgOp[] {
    return []; // the ack record is written by the insert itself (commit.ts)
  }
  failed(): void {
    // Nothing to forget: sequence numbers are never reused, so a failed batch leaves only a gap.
  }
}

export interface PgDocStoreOptions {
  location: string;
  committer: GroupCommitter<PgOp, Writer<PgOp> & { room: string }>;
  claims: Claims;
  read: ReadQuery;
  /**
   * A document's log and ack record, one snapshot read in bounded pieces (log-read.ts): for a load (an answer, which a
   * closing storage stops) or for a compaction (a write's read, which the close lets finish).
   */
  readLog: (subject: string, room: string, purpose: ReadPurpose) => Promise<StoredLog>;
  compactOnLoadAbove: number;
  onWarning?: (warning: StorageWarning) => void;
}

/** DocStore on PostgreSQL (`doc_updates`, `doc_acks`): docs/persistence.md, "PostgreSQL". */
export class PgDocStore implements DocStore {
  readonly #logs = new Map<string, DocLog>();
  readonly #inFlight = new InFlight();
  #closed = false;

  constructor(private readonly options: PgDocStoreOptions) {}

  load(name: string): Promise<Uint8Array | null> {
    return this.#held(name, (log) => this.#load(log));
  }

  async #load(log: DocLog): Promise<Uint8Array | null> {
    const generation = log.generation;
    // One snapshot: the entries and the ack record as the same commit left them, read in bounded pieces (log-read.ts).
    const { entries: rows, ack } = await this.options.readLog(docSubject(log.room), log.room, "answer");
    const keys = rows.map((row): EntryKey => [row.fence, row.seq]);
    if (ack) this.#refuseDamaged(log.room, keys, ack);
    const entries = rows.map((row, clock): LogEntry => ({ clock, update: row.update }));
    // A pass over the whole document: when many rooms load at once (a node taking over a dead node's rooms), their
    // merges are spread over turns of the event loop instead of all running in the one that read their rows.
    const merged = await this.#merge(log, entries, keys, mergeLogInTurns);
    if (merged && entries.length > this.options.compactOnLoadAbove && !this.#closed) {
      // The merge is done already: writing it costs one statement. Appends made since the read have higher keys, and
      // the entries it replaces are the ones read (not read again: twice the bytes, and the reads other rooms' loads
      // wait for, log-read.ts).
      this.#chainCompaction(log, Promise.resolve(), keys.at(-1)!, generation, { given: merged, merge: compactLog }, keys).catch((error: unknown) =>
        this.options.onWarning?.({
          code: error instanceof StorageError ? error.code : "ERR_STORAGE_WRITE",
          doc: log.room,
          message: `Compacting ${docSubject(log.room)} after loading it failed (it stays as it was): ${reasonOf(error)}`,
        }),
      );
    }
    return merged;
  }

  /** A log holding fewer entries than its ack record counts, or not the entry it ends at, lost acknowledged writes. */
  #refuseDamaged(name: string, keys: readonly EntryKey[], ack: AckRecord): void {
    const expected = { clock: ack.seq, updates: ack.updates };
    const end: EntryKey = [ack.fence, ack.seq];
    const last = keys.at(-1);
    if (keys.length >= expected.updates && last && keyText(last) === keyText(end)) return;
    const damage: Damage = {
      expected,
      found: { clock: last ? last[1] : -1, updates: keys.length },
      missing: Math.max(1, expected.updates - keys.length),
      detectedBy: "record",
      detectedAt: new Date().toISOString(),
    };
    throw damagedError(name, this.options.location, damage);
  }

  /** Merges entries; reports and remembers the corrupt ones (never deleted by a compaction). */
  async #merge(log: DocLog, entries: LogEntry[], keys: readonly EntryKey[], merge: (entries: LogEntry[]) => Promise<MergeResult>): Promise<Uint8Array | null> {
    const { merged, corrupt } = await merge(entries);
    for (const { clock, reason } of corrupt) {
      const key = keys[clock]!;
      log.corrupt.add(keyText(key));
      this.options.onWarning?.({
        code: "ERR_STORAGE_CORRUPT",
        doc: log.room,
        message:
          `Skipped stored update (${keyText(key)}) of ${docSubject(log.room)} in ${this.options.location}: it cannot be decoded ` +
          `(${reason}). It stays stored untouched until the document is deleted.`,
      });
    }
    return merged;
  }

  append(name: string, update: Uint8Array, options?: AppendOptions): Promise<void> {
    const bytes = Uint8Array.from(update); // the caller may reuse its buffer
    return this.#write(name, (log) =>
      this.options.committer.add(
        log,
        bytes,
        async (run) => {
          const claim = await this.options.claims.claimFor(name);
          return entriesOfRun(run).map((entry): PgOp => ({ kind: "insert", room: name, fence: claim.fence, seq: claim.nextSeq++, update: entry }));
        },
        options,
      ),
    );
  }

  compact(name: string, source?: CompactionSource): Promise<void> {
    return this.#held(name, (log) => {
      const generation = log.generation;
      // Everything appended before this call is at or below `upTo`; later appends get higher keys and are kept.
      let upTo: EntryKey = [0, -1];
      const marked = this.#write(name, () =>
        this.options.committer.enqueue(log, async () => {
          const claim = await this.options.claims.claimFor(name);
          upTo = [claim.fence, claim.nextSeq - 1];
          return [];
        }),
      );
      return this.#chainCompaction(log, marked, () => upTo, generation, compactionOf(source));
    });
  }

  /** Runs a compaction once `ready` resolves, after this document's earlier compactions. */
  #chainCompaction(
    log: DocLog,
    ready: Promise<unknown>,
    upTo: EntryKey | (() => EntryKey),
    generation: number,
    compaction: Compaction,
    read?: readonly EntryKey[],
  ): Promise<void> {
    const run = Promise.all([ready, log.compacting]).then(() => this.#compact(log, typeof upTo === "function" ? upTo() : upTo, generation, compaction, read));
    log.compacting = run.catch(() => undefined);
    return this.#hold(log, this.#track(run));
  }

  /**
   * Writes the merge of the log's entries at or below `upTo` and deletes them. `read`: their keys when the caller read
   * them and `given` is their merge (a load's); an entry an earlier compaction deleted since is deleted again, a no-op.
   */
  async #compact(log: DocLog, upTo: EntryKey, generation: number, { given, merge }: Compaction, read?: readonly EntryKey[]): Promise<void> {
    const { keys, snapshot } = given && read ? { keys: read, snapshot: given } : await this.#mergedUpTo(log, upTo, given, merge);
    if (!snapshot) return;
    const replaced = keys.filter((key) => !log.corrupt.has(keyText(key))); // corrupt entries are never deleted
    await this.#write(
      log.room,
      () =>
        this.options.committer.enqueue(log, async () => {
          if (log.generation !== generation) return []; // deleted meanwhile: do not resurrect it
          const claim = await this.options.claims.claimFor(log.room);
          const { fence } = claim;
          const key: SnapshotKey = { fence, seq: claim.nextSeq++, md5: createHash("md5").update(snapshot).digest("hex") };
          return [
            { kind: "insert", room: log.room, fence, seq: key.seq, update: snapshot },
            // Removed only where the snapshot landed (commit.ts's removeSql): a compaction never deletes what it did not replace.
            ...replaced.map(([entryFence, seq]): PgOp => ({ kind: "remove", room: log.room, fence, entryFence, seq, snapshot: key })),
          ];
        }),
      true,
    );
  }

  /** The log's entries at or below `upTo`, read, and their merge (`given`, or merged here). */
  async #mergedUpTo(log: DocLog, upTo: EntryKey, given: Uint8Array | undefined, merge: Compaction["merge"]) {
    const { entries: rows } = await this.options.readLog(docSubject(log.room), log.room, "write");
    const kept = rows.filter((row) => atOrBelow([row.fence, row.seq], upTo));
    const keys = kept.map((row): EntryKey => [row.fence, row.seq]);
    const entries = kept.map((row, clock): LogEntry => ({ clock, update: row.update }));
    return { keys, snapshot: given ?? (await this.#merge(log, entries, keys, (logged) => inHeavyTurn(() => merge(logged)))) };
  }

  delete(name: string): Promise<void> {
    return this.#write(name, (log) =>
      this.options.committer.enqueue(log, async () => {
        const { fence } = await this.options.claims.claimFor(name);
        log.generation += 1;
        log.corrupt.clear();
        return [{ kind: "drop", room: name, fence }];
      }),
    );
  }

  async names(): Promise<string[]> {
    const rows = await this.options.read("the document list", "SELECT doc FROM doc_acks", []);
    return rows.map((row) => fromText(row.doc as string)).sort();
  }

  async stats(name: string): Promise<DocStats> {
    const [row] = await this.options.read(
      docSubject(name),
      "SELECT a.updates, a.bytes, NOT EXISTS (SELECT 1 FROM doc_updates u WHERE u.doc = a.doc) AS empty FROM doc_acks a WHERE a.doc = $1",
      [toText(name)],
    );
    if (!row) return { updates: 0, bytes: 0 };
    // A document whose whole log was lost is still one that acknowledged writes: it must not pass for never written.
    if (row.empty) return { updates: 0, bytes: 0, damaged: true };
    return { updates: Number(row.updates), bytes: Number(row.bytes) };
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
    const log = this.#logs.get(name);
    if (!log || log.holds === 0) return;
    log.holds--;
    this.#dropIfIdle(log);
  }

  #log(name: string): DocLog {
    let log = this.#logs.get(name);
    if (!log) this.#logs.set(name, (log = new DocLog(name)));
    return log;
  }

  /** Runs `operation` on the document's log, which stays in memory until it settles. */
  #held<T>(name: string, operation: (log: DocLog) => Promise<T>): Promise<T> {
    const log = this.#log(name);
    return this.#hold(log, operation(log));
  }

  #hold<T>(log: DocLog, operation: Promise<T>): Promise<T> {
    log.holds++;
    return operation.finally(() => {
      log.holds--;
      this.#dropIfIdle(log);
    });
  }

  /** A log nothing uses is forgotten, unless it knows corrupt entries to protect (the fence lives in `Claims`). */
  #dropIfIdle(log: DocLog): void {
    if (log.holds === 0 && log.corrupt.size === 0 && this.#logs.get(log.room) === log) this.#logs.delete(log.room);
  }

  /** Queues a write. `finishing`: the second step of a compaction already under way, which `close` lets complete. */
  #write(name: string, queue: (log: DocLog) => Promise<void>, finishing = false): Promise<void> {
    if (this.#closed && !finishing) return Promise.reject(closedError(docSubject(name), this.options.location));
    return this.#held(name, (log) =>
      this.#track(
        queue(log).catch((error: unknown) => {
          throw writeError(docSubject(name), this.options.location, error);
        }),
      ),
    );
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    return this.#inFlight.track(promise);
  }
}
