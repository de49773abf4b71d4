/**
 * Every limit and timeout of the runtime, with its default, in one place.
 * `createServer({ limits })` overrides any of them; docs/runtime.md lists them.
 */
export interface Limits {
  /** Largest WebSocket frame a client may send; a bigger one closes the connection with 1009. */
  maxMessageBytes: number;
  /**
   * Unsent bytes one connection may queue (a client that stops reading), not counting the largest frame still
   * being written (a large document's first sync). Past it the connection is closed with
   * `CloseCode.SendBufferFull` and nothing more is queued for it.
   */
  maxSendBufferBytes: number;
  /**
   * Unsent bytes all connections of the server may queue together. Past it the connections holding the most
   * unread bytes (beyond their largest frame) are closed with `CloseCode.SendBufferFull` until it holds again.
   */
  maxBufferedBytes: number;
  /**
   * Largest document (its encoded Yjs state) a room may hold: the write that would take it past this is
   * refused (HTTP 413, close 1009, `ERR_DOCUMENT_TOO_LARGE`), so no document grows into one nobody can open.
   */
  maxDocumentBytes: number;
  /** How often the server pings every socket. */
  heartbeatIntervalMs: number;
  /** How long a pinged socket may take to answer before it is terminated (its `onClose` runs). */
  heartbeatTimeoutMs: number;
  /** A room with no connections, no request in flight and no pending alarm is unloaded after this long. */
  idleUnloadMs: number;
  /** Idle rooms kept loaded at once (waiting for `idleUnloadMs`); past it the longest idle one is unloaded now. */
  maxIdleRooms: number;
  /** Longest room id, in UTF-16 code units, after URL decoding. */
  maxRoomIdLength: number;
  /** Connections one room accepts at once; the next upgrade is answered 503. */
  maxConnectionsPerRoom: number;
  /** Bytes of a refusing `Response` body written back on an upgrade socket. */
  maxRefusalBodyBytes: number;
  /**
   * A request answered before its body came in whole (a 413, a refusal, an `onRequest` that never read it): the
   * rest of the body read and dropped after the answer at most, so that a client still uploading reads the answer
   * rather than a reset. Past it (or `drainTimeoutMs`) the socket is closed.
   */
  maxDrainBytes: number;
  /** How long the rest of such a body is read and dropped at most before the socket is closed. */
  drainTimeoutMs: number;
  /**
   * Bytes of request bodies being read, server-wide (each counted until its end is read or its request is over): a
   * body whose next part would pass it is cut, its request answered 503 `ERR_SERVER_BUSY` (Retry-After) to retry, or
   * 413 `ERR_BODY_TOO_BIG` when that body alone passes it.
   */
  maxBodyBytesInFlight: number;
  /** A body that sends nothing for this long while its handler waits for it is cut: 408 `ERR_BODY_TIMEOUT`. */
  bodyIdleTimeoutMs: number;
  /**
   * Bytes of WebSocket messages read and not handled yet, server-wide: messages still coming in, and those held
   * while their room starts or applies a large update (each socket's first 16 KiB not counted). A socket whose
   * bytes would pass it is closed with 1013 (try again later), or 1009 when its message alone passes it.
   */
  maxFrameBytesInFlight: number;
  /**
   * How long after its request is over the `ctx.waitUntil` work it left keeps the stub sockets it opened (as on
   * Workers, where that work may run 30 s past the answer): a promise that never settles no longer keeps them.
   */
  waitUntilMs: number;
  /** Graceful close: how long to wait for sockets and HTTP requests before cutting them. */
  shutdownTimeoutMs: number;
  /** Times a throwing `onAlarm` is retried before the alarm is dropped (Durable Objects: 6). */
  alarmRetries: number;
  /** Wait before the first retry of a throwing `onAlarm`; it doubles for each next one (Durable Objects: 2 s). */
  alarmRetryBaseMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageBytes: 16 * 1024 * 1024,
  maxSendBufferBytes: 32 * 1024 * 1024,
  maxBufferedBytes: 512 * 1024 * 1024,
  maxDocumentBytes: 256 * 1024 * 1024,
  heartbeatIntervalMs: 30_000,
  heartbeatTimeoutMs: 10_000,
  idleUnloadMs: 30_000,
  maxIdleRooms: 1_000,
  maxRoomIdLength: 256,
  maxConnectionsPerRoom: 10_000,
  maxRefusalBodyBytes: 64 * 1024,
  maxDrainBytes: 64 * 1024 * 1024,
  drainTimeoutMs: 10_000,
  maxBodyBytesInFlight: 256 * 1024 * 1024,
  bodyIdleTimeoutMs: 30_000,
  maxFrameBytesInFlight: 256 * 1024 * 1024,
  waitUntilMs: 30_000,
  shutdownTimeoutMs: 5_000,
  alarmRetries: 6,
  alarmRetryBaseMs: 2_000,
});

/** PartyKit's tag rules: up to 9 tags of yours (the connection id is always the first tag), 256 chars each. */
export const MAX_CONNECTION_TAGS = 9;
export const MAX_TAG_LENGTH = 256;

/** Counts where 0 means "none" (no alarm retries). */
const ZERO_ALLOWED: ReadonlySet<keyof Limits> = new Set<keyof Limits>(["alarmRetries"]);

export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(overrides) as Array<[keyof Limits, number | undefined]>) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) throw new TypeError(`Unknown limit "${key}"`);
    if (ZERO_ALLOWED.has(key) ? !(Number.isInteger(value) && value >= 0) : typeof value !== "number" || !(value > 0)) {
      throw new TypeError(`Limit "${key}" must be ${ZERO_ALLOWED.has(key) ? "a whole number, 0 or more" : "a positive number"}, got ${value}`);
    }
    limits[key] = value;
  }
  return limits;
}
