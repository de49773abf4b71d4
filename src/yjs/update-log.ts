/**
 * Appends a room's updates to the DocStore as they are applied. While one append is in flight, new
 * updates queue up and go out merged as the next append, so a busy room makes one write at a time.
 * `whenDurable()` resolves once everything queued before the call is stored: durable acks and the HTTP
 * API wait on it. A failed append is logged and retried with backoff while the room lives; nothing
 * is dropped silently.
 */
import * as Y from "yjs";
import type { DocStore } from "../../persistence/types.js";
import type { Logger } from "../runtime/log.js";
import { APPEND_RETRY_BASE_MS, APPEND_RETRY_MAX_MS, MAX_APPEND_BATCH } from "./defaults.js";
import { YjsError, asError } from "./errors.js";

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
  /** Told of the first failed write of its updates (they stay queued), instead of waiting for the retry to land. */
  failFast?: boolean;
}

interface Batch {
  updates: Uint8Array[];
  waiters: Waiter[];
}

const emptyBatch = (): Batch => ({ updates: [], waiters: [] });

export interface UpdateLogOptions {
  store: DocStore;
  /** The document's name in the store. */
  name: string;
  logger: Pick<Logger, "info" | "warn" | "error">;
  /** Called after each successful append with the bytes written (for the compaction policy). */
  onAppended?(bytes: number): void;
}

export class UpdateLog {
  #queued: Batch = emptyBatch();
  #inFlight: Batch | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  /** The last failure while writes keep failing (cleared by a write that lands). */
  #failing: Error | undefined;
  /** Once closing, a failed append rejects its waiters instead of retrying. */
  #closing = false;

  constructor(private readonly options: UpdateLogOptions) {}

  /** Queues one applied update for appending. */
  append(update: Uint8Array): void {
    this.#queued.updates.push(update);
    this.#kick();
  }

  /**
   * Resolves once every update queued so far is durably appended; rejects if the log closed without it. With
   * `failFast`, rejects as soon as an attempt to write them fails, or at once while the log waits to retry one.
   */
  whenDurable(options: { failFast?: boolean } = {}): Promise<void> {
    const batch = this.#queued.updates.length > 0 ? this.#queued : this.#inFlight;
    if (!batch) return Promise.resolve();
    if (options.failFast && this.#failing && this.#retryTimer) return Promise.reject(this.#notStored(this.#failing));
    return new Promise((resolve, reject) => batch.waiters.push({ resolve, reject, failFast: options.failFast }));
  }

  /** What a fail-fast waiter is told: the disk is full (`ERR_STORAGE_FULL`), or the write failed. */
  #notStored(error: Error): YjsError {
    const full = (error as { code?: unknown }).code === "ERR_STORAGE_FULL";
    const message = full
      ? `The disk is full: the update is applied but not stored yet (it is stored once space returns, if the room is still live). Retry later`
      : `The update is applied but could not be stored yet (${error.message}); it is retried. Retry later`;
    return new YjsError(full ? "ERR_STORAGE_FULL" : "ERR_APPEND_FAILED", message, { cause: error });
  }

  /** Whether updates are waiting or being written. */
  get busy(): boolean {
    return this.#inFlight !== null || this.#queued.updates.length > 0;
  }

  /** Stops retrying, writes what is queued now and resolves when it is stored (rejects if that fails). */
  close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#kick();
    return this.whenDurable();
  }

  #kick(): void {
    if (this.#inFlight || this.#retryTimer || this.#queued.updates.length === 0) return;
    // At most MAX_APPEND_BATCH updates per append: Y.mergeUpdates grows much worse than linearly.
    let batch = this.#queued;
    if (batch.updates.length > MAX_APPEND_BATCH) {
      batch = { updates: this.#queued.updates.splice(0, MAX_APPEND_BATCH), waiters: [] };
    } else {
      this.#queued = emptyBatch();
    }
    this.#inFlight = batch;
    const update = batch.updates.length === 1 ? batch.updates[0]! : Y.mergeUpdates(batch.updates);
    const { store, name } = this.options;
    store.append(name, update).then(
      () => {
        if (this.#failures > 0) this.options.logger.info("yjs.append_recovered", { doc: name, failedAttempts: this.#failures });
        this.#failures = 0;
        this.#failing = undefined;
        this.#inFlight = null;
        for (const waiter of batch.waiters) waiter.resolve();
        this.options.onAppended?.(update.byteLength);
        this.#kick();
      },
      (error: unknown) => {
        this.#inFlight = null;
        this.#failed(batch, asError(error));
      },
    );
  }

  #failed(batch: Batch, error: Error): void {
    this.#failures++;
    this.#failing = error;
    const code = (error as { code?: string }).code ?? "ERR_APPEND_FAILED";
    if (this.#closing) {
      this.options.logger.error("yjs.append_failed", { code, doc: this.options.name, final: true, error });
      const stopped = new YjsError("ERR_APPEND_FAILED", `could not store updates of ${this.options.name}`, { cause: error });
      for (const waiter of [...batch.waiters, ...this.#queued.waiters]) waiter.reject(stopped);
      this.#queued = emptyBatch();
      return;
    }
    // Put the batch back in front of what arrived meanwhile, and try again later. Fail-fast waiters hear it now.
    for (const waiter of batch.waiters) if (waiter.failFast) waiter.reject(this.#notStored(error));
    this.#queued = {
      updates: [...batch.updates, ...this.#queued.updates],
      waiters: [...batch.waiters.filter((waiter) => !waiter.failFast), ...this.#queued.waiters],
    };
    const delay = Math.min(APPEND_RETRY_MAX_MS, APPEND_RETRY_BASE_MS * 2 ** (this.#failures - 1));
    this.options.logger.warn("yjs.append_failed", { code, doc: this.options.name, attempt: this.#failures, retryInMs: delay, error });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#kick();
    }, delay);
  }
}
