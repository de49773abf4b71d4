/**
 * Hands a room's updates to the DocStore as they are applied, and knows which are stored. The store coalesces
 * (persistence/group-commit.ts: one batch for every document's waiting appends, merged per document), so this is a
 * thin queue: each update goes to `store.append` at once (to `store.appendNow` where the store has one: memory, stored
 * before it returns, with no promise per update). `whenDurable()` resolves once everything appended before
 * the call is stored: durable acks and the HTTP API wait on it. A failed append is logged and retried with backoff
 * while the room lives (updates arriving meanwhile wait and go with the retry); nothing is dropped silently.
 */
import type { DocStore } from "../../persistence/types.js";
import type { Logger } from "../runtime/log.js";
import { APPEND_RETRY_BASE_MS, APPEND_RETRY_MAX_MS } from "./defaults.js";
import { YjsError, asError } from "./errors.js";
import { unstored } from "./unstored.js";

/** Scheduling through a settled promise costs less than `queueMicrotask` (an AsyncResource per call). */
const SETTLED = Promise.resolve();
const LAZY = { lazy: true } as const;

interface Waiter {
  /** Resolved once every update up to this one (counted from 1) is stored. */
  upTo: number;
  resolve(): void;
  reject(error: Error): void;
  /** Told of the first failed write of its updates (they stay queued), instead of waiting for the retry to land. */
  failFast?: boolean;
}

/** Updates `first`..`last` (counted from 1), handed to the store together or waiting to be. */
interface Chunk {
  updates: Uint8Array[];
  first: number;
  last: number;
  /** `held`: not handed over yet (a retry is pending); `failed`: its append failed, it goes with the retry. */
  state: "sending" | "failed" | "held";
  /** What the store's append returned for its first update: a later append that returns the same joins this chunk. */
  landed?: Promise<void>;
}

export interface UpdateLogOptions {
  store: DocStore;
  /** The document's name in the store. */
  name: string;
  logger: Pick<Logger, "info" | "warn" | "error">;
  /**
   * Nobody waits for the appends to show an update (durability "fast": the others have it already, only durable
   * acks wait): the store may hold them briefly so that more writes share a commit (persistence's `AppendOptions`).
   */
  lazy?: boolean;
  /**
   * Called after appends land with the bytes they carried and the log entries they made (for the compaction policy):
   * once per store batch, which is one entry.
   */
  onAppended?(bytes: number, entries: number): void;
  /** A write can never land (fenced: another node owns the room): nothing appended from now on is stored. */
  onLost?(error: YjsError): void;
}

export class UpdateLog {
  /** Updates appended so far. */
  #appended = 0;
  /** What is not stored yet, in order. Everything before its first chunk is stored. */
  #unstored: Chunk[] = [];
  /** In order of `upTo`. */
  #waiters: Waiter[] = [];
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  /** The last failure while writes keep failing (cleared by a write that lands). */
  #failing: Error | undefined;
  /** Once closing, a failed append rejects its waiters instead of retrying. */
  #closing = false;
  /**
   * Set by a write that can never land (closing, or fenced: another node owns the room): from then on nothing is
   * durable here, so no waiter resolves, also not for updates that change nothing (an ack would cover the lost ones).
   */
  #lost: YjsError | undefined;
  /** Bytes landed since `onAppended` was last told: appends that land in one store batch are reported once. */
  #landedBytes = 0;

  constructor(private readonly options: UpdateLogOptions) {}

  /** Queues one applied update for appending. */
  append(applied: Uint8Array): void {
    const seq = ++this.#appended;
    if (this.#lost) return; // never stored: whenDurable rejects
    if (this.#unstored.length === 0 && this.options.store.appendNow) return this.#appendNow(applied, seq);
    // An update is often a view of the socket's whole read (64 KiB): while the store is behind, a copy, so that what
    // waits for it in memory is what unstored.ts counts (seen: 36 MiB held for 8 MiB of updates).
    const update = unstored.bytes > unstored.copyAbove ? applied.slice() : applied;
    unstored.add(update.byteLength);
    const last = this.#unstored.at(-1);
    if (this.#retryTimer) {
      // Waiting to retry: it goes with the retry, after the failed ones.
      if (last?.state === "held") {
        last.updates.push(update);
        last.last = seq;
      } else this.#unstored.push({ updates: [update], first: seq, last: seq, state: "held" });
      return;
    }
    const landed = this.#store(update);
    if (last?.state === "sending" && last.landed === landed) {
      // The store handed back the promise of the commit the last chunk waits for (persistence's run of a document's
      // appends): it lands with that chunk, which takes it, instead of a chunk, a `then` and two closures of its own.
      last.updates.push(update);
      last.last = seq;
      return;
    }
    const chunk: Chunk = { updates: [update], first: seq, last: seq, state: "sending", landed };
    this.#unstored.push(chunk);
    this.#watch(chunk, landed);
  }

  #store(update: Uint8Array): Promise<void> {
    return this.options.store.append(this.options.name, update, this.options.lazy ? LAZY : undefined);
  }

  /**
   * Resolves once every update queued so far is durably appended; rejects if the log closed without it. With
   * `failFast`, rejects as soon as an attempt to write them fails, or at once while the log waits to retry one.
   */
  whenDurable(options: { failFast?: boolean } = {}): Promise<void> {
    if (this.#lost) return Promise.reject(this.#lost);
    if (this.#unstored.length === 0) return Promise.resolve();
    if (options.failFast && this.#failing && this.#retryTimer) return Promise.reject(this.#notStored(this.#failing));
    return new Promise((resolve, reject) => this.#waiters.push({ upTo: this.#appended, resolve, reject, failFast: options.failFast }));
  }

  /** What a fail-fast waiter is told: the disk is full (`ERR_STORAGE_FULL`), or the write failed. */
  #notStored(error: Error): YjsError {
    const full = (error as { code?: unknown }).code === "ERR_STORAGE_FULL";
    const message = full
      ? `The disk is full: the update is applied but not stored yet (it is stored once space returns, if the room is still live). Retry later`
      : `The update is applied but could not be stored yet (${error.message}); it is retried. Retry later`;
    return new YjsError(full ? "ERR_STORAGE_FULL" : "ERR_APPEND_FAILED", message, { cause: error });
  }

  /** Whether a write can never land any more (fenced, or failed while closing): nothing is durable from then on. */
  get lost(): boolean {
    return this.#lost !== undefined;
  }

  /** Whether updates are waiting or being written. */
  get busy(): boolean {
    return this.#unstored.length > 0;
  }

  /** Stops retrying, writes what is queued now and resolves when it is stored (rejects if that fails). */
  close(): Promise<void> {
    this.#closing = true;
    if (this.#retryTimer) this.#retry();
    return this.whenDurable();
  }

  /**
   * The store takes the update before it returns (memory): stored at once, with no chunk, promise or microtask, when
   * nothing is waiting before it (order). A failure goes the way of a failed chunk: retried with the next ones.
   */
  #appendNow(update: Uint8Array, seq: number): void {
    let newEntry: boolean;
    try {
      newEntry = this.options.store.appendNow!(this.options.name, update);
    } catch (error) {
      const chunk: Chunk = { updates: [update], first: seq, last: seq, state: "sending" };
      unstored.add(update.byteLength);
      this.#unstored.push(chunk);
      return this.#failed(chunk, asError(error));
    }
    this.options.onAppended?.(update.byteLength, newEntry ? 1 : 0);
  }

  /** Hands a chunk (already in `#unstored`, in its place) to the store again: a retry, its appends watched together. */
  #send(chunk: Chunk): void {
    chunk.state = "sending";
    chunk.landed = undefined;
    this.#watch(chunk, Promise.all(chunk.updates.map((update) => this.#store(update))));
  }

  #watch(chunk: Chunk, appended: Promise<unknown>): void {
    appended.then(
      () => this.#landed(chunk),
      (error: unknown) => this.#failed(chunk, asError(error)),
    );
  }

  #landed(chunk: Chunk): void {
    const index = this.#unstored.indexOf(chunk);
    if (index < 0 || this.#lost) return; // given up on
    this.#unstored.splice(index, 1);
    if (this.#failures > 0) this.options.logger.info("yjs.append_recovered", { doc: this.options.name, failedAttempts: this.#failures });
    this.#failures = 0;
    this.#failing = undefined;
    const storedUpTo = this.#unstored[0] ? this.#unstored[0].first - 1 : this.#appended;
    while (this.#waiters[0] && this.#waiters[0].upTo <= storedUpTo) this.#waiters.shift()!.resolve();
    if (this.#landedBytes === 0) void SETTLED.then(this.#reportLanded); // appends that land together are reported once
    const bytes = bytesOf(chunk);
    this.#landedBytes += bytes;
    unstored.remove(bytes);
  }

  readonly #reportLanded = (): void => {
    const bytes = this.#landedBytes;
    this.#landedBytes = 0;
    this.options.onAppended?.(bytes, 1);
  };

  #failed(chunk: Chunk, error: Error): void {
    if (!this.#unstored.includes(chunk)) return;
    const code = (error as { code?: string }).code ?? "ERR_APPEND_FAILED";
    // A fenced write (another node owns the room now) can never land: no retry, no ack; the room is being lost.
    if (this.#closing || code === "ERR_FENCED") {
      this.options.logger.error("yjs.append_failed", { code, doc: this.options.name, final: true, error });
      const stopped = new YjsError("ERR_APPEND_FAILED", `could not store updates of ${this.options.name}`, { cause: error });
      this.#lost = stopped;
      for (const waiter of this.#waiters.splice(0)) waiter.reject(stopped);
      for (const given of this.#unstored) unstored.remove(bytesOf(given));
      this.#unstored = [];
      this.options.onLost?.(stopped);
      return;
    }
    chunk.state = "failed";
    // Fail-fast waiters for these updates hear it now; the others wait for the retry.
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.failFast || waiter.upTo < chunk.first) return true;
      waiter.reject(this.#notStored(error));
      return false;
    });
    this.#failing = error;
    if (this.#retryTimer) return; // appends in flight together fail together: one attempt
    this.#failures++;
    const delay = Math.min(APPEND_RETRY_MAX_MS, APPEND_RETRY_BASE_MS * 2 ** (this.#failures - 1));
    this.options.logger.warn("yjs.append_failed", { code, doc: this.options.name, attempt: this.#failures, retryInMs: delay, error });
    this.#retryTimer = setTimeout(() => this.#retry(), delay);
  }

  /** Hands the failed and held updates to the store again, in order. */
  #retry(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    for (const chunk of this.#unstored.filter((c) => c.state !== "sending")) this.#send(chunk);
  }
}

const bytesOf = (chunk: Chunk): number => chunk.updates.reduce((sum, update) => sum + update.byteLength, 0);
