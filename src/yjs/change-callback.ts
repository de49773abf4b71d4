/**
 * y-partykit's change callback, debounced per room: after edits settle, either `handler(doc)` runs or the
 * chosen root types are POSTed as JSON to `url` (`{ room, data: { [name]: { type, content } } }`, the body
 * y-partykit sends). A failing URL is retried with backoff and every failure is logged. When the room
 * stops, a pending callback runs at once; a retry that is waiting is tried once more right away.
 *
 * Runs never overlap, across the room's instances too: a run the stop left behind (still going after `closeWithinMs`)
 * holds the next instance's first run back until it ends, or for at most the callback's timeout, so that its older
 * copy of the document does not land after the newer one (a handler that reads the document after an await).
 */
import * as Y from "yjs";
import { settleWithin } from "../runtime/guard.js";
import type { Logger } from "../runtime/log.js";
import { createDebouncer, type Debouncer } from "./debounce.js";
import { type DocumentKey, DocumentTable } from "./document-table.js";
import { CALLBACK_DEFAULTS, CALLBACK_MAX_ATTEMPTS, CALLBACK_RETRY_BASE_MS, CALLBACK_RETRY_MAX_MS } from "./defaults.js";
import { asError } from "./errors.js";
import type { CallbackOptions } from "./options.js";

/** y-partykit's `callback.objects` kinds, as `doc.get(name, Kind)` takes them. */
const KINDS: Record<string, new () => Y.AbstractType<any>> = {
  Array: Y.Array,
  Map: Y.Map,
  Text: Y.Text,
  XmlFragment: Y.XmlFragment,
  XmlElement: Y.XmlElement,
};

function callbackBody(room: string, doc: Y.Doc, objects: Record<string, string>): string {
  const data: Record<string, { type: string; content: unknown }> = {};
  for (const [name, type] of Object.entries(objects)) {
    const Kind = KINDS[type];
    if (!Kind) throw new TypeError(`Unknown shared object type: ${type}`);
    data[name] = { type, content: doc.get(name, Kind).toJSON() };
  }
  return JSON.stringify({ room, data });
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

/** Where a run was left behind by a stop: the document's store and name (the next instance's key is the same). */
export type CallbackLane = DocumentKey;

/** Runs left behind by a stop, per lane, until they end. */
const leftBehind = new DocumentTable<Promise<void>>();

function leaveBehind(lane: CallbackLane, run: Promise<void>): void {
  leftBehind.set(lane, run);
  void run.finally(() => forget(lane, run));
}

/** Once ended, or once waited for as long as a run may take (one that never ends is waited for once). */
function forget(lane: CallbackLane, run: Promise<void>): void {
  leftBehind.deleteIf(lane, run);
}

export interface ChangeCallbackOptions {
  callback: CallbackOptions;
  /** The room's id, sent as `room` in the URL body. */
  room: string;
  doc: Y.Doc;
  logger: Pick<Logger, "warn" | "error">;
  /** How long `close` waits for the callback still running (default: the callback's `timeout`, 5 s). */
  closeWithinMs?: number;
  /** The room's document across instances (absent: a document no later instance loads again, so nothing to order). */
  lane?: CallbackLane;
}

export class ChangeCallback {
  readonly #debouncer: Debouncer;
  readonly #stopping = new AbortController();

  constructor(private readonly options: ChangeCallbackOptions) {
    const { callback } = options;
    this.#debouncer = createDebouncer(
      () => this.#run(),
      callback.debounceWait || CALLBACK_DEFAULTS.debounceWait,
      callback.debounceMaxWait || CALLBACK_DEFAULTS.debounceMaxWait,
    );
  }

  /** The document changed. */
  notify(): void {
    this.#debouncer.schedule();
  }

  /**
   * Runs a pending callback now, cuts retry waits short, and resolves when done — or after `closeWithinMs`: a handler
   * that never settles (a webhook with no timeout) must not hold the room's stop, nor the next load of its document.
   */
  async close(): Promise<void> {
    this.#stopping.abort();
    const { callback, closeWithinMs = callback.timeout || CALLBACK_DEFAULTS.timeout, room, logger, lane } = this.options;
    let finished = false;
    const flushed = this.#debouncer.flush().finally(() => (finished = true));
    await settleWithin(flushed, closeWithinMs);
    if (finished) return;
    if (lane) leaveBehind(lane, flushed);
    // Left behind: nothing queued after it runs (the next instance's callback owns the document's copy now). With the
    // document's updates off (the session stopped), nothing schedules another.
    this.#debouncer.cancel();
    logger.warn("yjs.callback_cut", {
      code: "ERR_CALLBACK_FAILED",
      room,
      message: `the change callback did not finish within ${closeWithinMs} ms of the room's stop`,
    });
  }

  async #run(): Promise<void> {
    const { callback, doc, room, logger, lane } = this.options;
    const previous = lane && leftBehind.get(lane);
    if (previous) {
      await settleWithin(previous, callback.timeout || CALLBACK_DEFAULTS.timeout);
      forget(lane, previous);
    }
    try {
      if (callback.handler) await callback.handler(doc);
      if (callback.url) await this.#post(callback.url, callbackBody(room, doc, callback.objects ?? {}));
    } catch (error) {
      logger.error("yjs.callback_failed", { code: "ERR_CALLBACK_FAILED", room, error: asError(error) });
    }
  }

  async #post(url: string, body: string): Promise<void> {
    const { callback, room, logger } = this.options;
    const headers = { "Content-Type": "application/json", ...Object.fromEntries(new Headers(callback.headers ?? {})) };
    for (let attempt = 1; ; attempt++) {
      let failure: string;
      try {
        const res = await fetch(url, {
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(callback.timeout || CALLBACK_DEFAULTS.timeout),
        });
        if (res.ok) return;
        failure = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
      } catch (error) {
        failure = asError(error).message;
      }
      const last = attempt >= CALLBACK_MAX_ATTEMPTS || (this.#stopping.signal.aborted && attempt > 1);
      const fields = { code: "ERR_CALLBACK_FAILED", room, url, attempt, failure };
      if (last) {
        logger.error("yjs.callback_dropped", fields);
        return;
      }
      const delay = Math.min(CALLBACK_RETRY_MAX_MS, CALLBACK_RETRY_BASE_MS * 2 ** (attempt - 1));
      logger.warn("yjs.callback_retry", { ...fields, retryInMs: delay });
      await pause(delay, this.#stopping.signal);
    }
  }
}
