/**
 * Every limit, delay and threshold of the Yjs room, with its default, in one place.
 * docs/yjs.md lists them.
 */

/** y-partykit's change-callback defaults (`callback.debounceWait`, `debounceMaxWait`, `timeout`). */
export const CALLBACK_DEFAULTS = Object.freeze({
  debounceWait: 2_000,
  debounceMaxWait: 10_000,
  timeout: 5_000,
});

/** A failing URL callback is retried this many times in all (the first try included). */
export const CALLBACK_MAX_ATTEMPTS = 5;
/** Delay before the first retry of a failed URL callback; doubles per attempt up to the cap. */
export const CALLBACK_RETRY_BASE_MS = 500;
export const CALLBACK_RETRY_MAX_MS = 8_000;

/** y-partykit's history-mode cap on stored bytes before the log is merged (and the largest allowed). */
export const HISTORY_MAX_BYTES = 10_000_000;
/** y-partykit's history-mode default cap on stored updates: none. */
export const HISTORY_MAX_UPDATES = Number.MAX_SAFE_INTEGER;

/**
 * Snapshot mode merges the log when the room unloads (as y-partykit does) and, so that a long-lived room's
 * next load stays quick, in the background once the log holds this many entries or bytes.
 */
export const SNAPSHOT_COMPACT_UPDATES = 1_000;
export const SNAPSHOT_COMPACT_BYTES = 4_000_000;

/** A failed append is retried after this delay, doubling up to the cap, while the room lives. */
export const APPEND_RETRY_BASE_MS = 100;
export const APPEND_RETRY_MAX_MS = 5_000;

/** Largest frame a y-partykit chunked batch (`y-pk-batch#…`) may reassemble to. */
export const MAX_BATCH_BYTES = 64 * 1024 * 1024;

/**
 * Structs and deleted ranges the document lacks that one update (sync step 2, update or POST body) may hold by default
 * (`maxUpdateStructs`). A bigger one is refused after a walk over its bytes. One of up to this many is checked whole
 * in one turn of the event loop (~0.5 µs a struct), then applied in slices (`STRUCTS_PER_TURN`): a paste of 40 000
 * paragraphs into Tiptap is ~120 000; the largest shared editing trace, typed whole, ~11 000.
 */
export const MAX_UPDATE_STRUCTS = 1_000_000;

/**
 * Structs and deleted ranges applied in one turn of the event loop (`structsPerTurn`). Checking and applying one costs
 * 5–10 µs of the event loop, which every room of the process shares: a bigger update is applied in slices of this
 * many, a turn each, so that other rooms wait ~25 ms behind a paste instead of seconds (src/yjs/slicing.ts). Under
 * the 2 048 items the order check follows in one update (document-view.ts): a slice of an honest paste is placed by
 * the walk, never checked on a copy of the document.
 */
export const STRUCTS_PER_TURN = 2_000;

/**
 * How deep shared types may nest (a root type is level 0): Yjs deletes and collects nested types recursively and
 * runs out of stack past ~2 500 levels. Editors nest a few dozen at most.
 */
export const MAX_TYPE_DEPTH = 512;

/**
 * Bytes of changes a document may hold pending (waiting for changes the room has not seen; src/yjs/pending-size.ts):
 * an update that may wait and would take it past this is refused (`ERR_PENDING_TOO_LARGE`, 413 / 1009).
 */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;

/**
 * Items an update's order checks may walk in all (document-view.ts): an editor's insert takes one step (its
 * origins were neighbours when it was made), one merged after a long time offline a step per concurrent insert.
 */
export const MAX_ORDER_STEPS_PER_UPDATE = 1_000_000;

/**
 * Documents up to this many encoded bytes check on a copy (reload-order.ts) the rare updates whose items the walk
 * cannot follow: whether a reload would order them as the live room did. Copying costs a few applies of the whole
 * document (30 ms for 96 KiB, 70 ms for 304 KiB on 2 loaded cores: ~0.25 s at the default), and a tiny update
 * can ask for it, so the default stays small; editors' updates never need it (docs/reliability.md).
 */
export const RELOAD_ORDER_CHECK_BYTES = 1024 * 1024;

/**
 * Bytes of changes the rooms of a process may hold that their store has not taken yet (src/yjs/unstored.ts): past
 * it, new changes are refused (ERR_STORAGE_BACKLOG, close 1013, HTTP 503) until the store catches up, so a store
 * that is away does not make the server grow for as long as clients write.
 */
export const MAX_UNSTORED_BYTES = 256 * 1024 * 1024;

/** Largest body the HTTP API accepts for `POST` (a Yjs update). */
export const MAX_HTTP_UPDATE_BYTES = 16 * 1024 * 1024;

/**
 * Awareness client ids one connection may own (an editor uses one). Entries for more are dropped; set per room
 * with `maxAwarenessIdsPerConnection` (y-partykit options, `static` on YServer).
 */
export const MAX_AWARENESS_IDS_PER_CONNECTION = 16;
/**
 * Highest awareness clock the room accepts (a client counts up by one per change). Past 2^53 a clock can no
 * longer be raised by one, and whoever left an id there would keep every later owner of it from being heard.
 */
export const MAX_AWARENESS_CLOCK = 2 ** 52;

/**
 * Frames one connection may have held while its room loads or applies an update in slices; past it the connection is
 * closed (1013). The connection is not read while it has frames held (TCP pushes back): this counts the rest of the
 * socket read that was under way.
 */
export const MAX_BACKLOG_FRAMES = 10_000;

/**
 * A document of at most this many encoded bytes goes whole with a connection's greeting (sync step 1, then a sync
 * step 2 of everything), as y-redis sends every document: the client is synced without waiting a round trip, and its
 * first sync step 1 needs no answer (one write less per connect). A larger one waits for the client's step 1, so a
 * client that holds most of it (offline edits kept in IndexedDB) is not sent all of it again. 16 KiB: the greeting
 * stays one small write with the upgrade's answer (src/runtime/first-write.ts).
 */
export const GREETING_WHOLE_DOCUMENT_BYTES = 16 * 1024;

/** What a read-only connection is told (once) when it sends a change. */
export const READ_ONLY_REASON = "read-only connection: changes are not applied";

/**
 * A cold load answers fresh clients from the stored bytes first, then lets their socket write out (up to this
 * long) before it applies the same bytes to the document: the apply blocks the event loop (~100 ms for a large
 * document on a cold process), and the rest of the answer would wait behind it.
 */
export const STORED_ANSWER_DRAIN_MS = 200;

/**
 * The Yjs room's limits a server may set for all its Yjs parties (`createServer({ documentLimits })`,
 * `"documentLimits"` in yparty.json); the constants above are their defaults. A party's own `maxUpdateStructs` wins.
 */
export interface YjsLimits {
  /** `MAX_BATCH_BYTES`: largest frame a y-partykit chunked batch may reassemble to. */
  maxBatchBytes: number;
  /** `MAX_HTTP_UPDATE_BYTES`: largest POST body. */
  maxHttpUpdateBytes: number;
  /** `MAX_BACKLOG_FRAMES`: frames one connection may send while its room loads. */
  maxBacklogFrames: number;
  /** `MAX_UPDATE_STRUCTS`: structs and deleted ranges the document lacks that one update may hold (new-parts.ts). */
  maxUpdateStructs: number;
  /** `STRUCTS_PER_TURN`: structs and deleted ranges applied in one turn of the event loop (bigger updates go in slices). */
  structsPerTurn: number;
  /**
   * `RELOAD_ORDER_CHECK_BYTES`: documents up to this many encoded bytes check, on a copy, the rare updates whose
   * items the order checks cannot follow (reload-order.ts); larger ones take them unchecked, with a warning in the
   * log (0: never copied).
   */
  reloadOrderCheckBytes: number;
  /** `MAX_UNSTORED_BYTES`: changes held, process-wide, that the store has not taken yet; past it new ones are refused. */
  maxUnstoredBytes: number;
}

export const YJS_LIMITS: Readonly<YjsLimits> = Object.freeze({
  maxBatchBytes: MAX_BATCH_BYTES,
  maxHttpUpdateBytes: MAX_HTTP_UPDATE_BYTES,
  maxBacklogFrames: MAX_BACKLOG_FRAMES,
  maxUpdateStructs: MAX_UPDATE_STRUCTS,
  structsPerTurn: STRUCTS_PER_TURN,
  reloadOrderCheckBytes: RELOAD_ORDER_CHECK_BYTES,
  maxUnstoredBytes: MAX_UNSTORED_BYTES,
});

/** Limits for which 0 is allowed (for the copy check: no document is copied). */
const ZERO_TURNS_OFF: ReadonlySet<string> = new Set(["reloadOrderCheckBytes"]);

/** `YJS_LIMITS` with `overrides`; an unknown name or a value that is not a whole number over 0 (or 0 where that turns it off) throws. */
export function resolveYjsLimits(overrides: Readonly<Record<string, number>> = {}): YjsLimits {
  const limits: YjsLimits = { ...YJS_LIMITS };
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in YJS_LIMITS)) throw new TypeError(`Unknown document limit "${name}" (known: ${Object.keys(YJS_LIMITS).join(", ")})`);
    const least = ZERO_TURNS_OFF.has(name) ? 0 : 1;
    if (!Number.isInteger(value) || value < least) throw new TypeError(`Document limit "${name}" must be a whole number of at least ${least}, got ${value}`);
    limits[name as keyof YjsLimits] = value;
  }
  return limits;
}
