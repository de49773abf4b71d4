/**
 * Every limit of the rooms protocol with its default, the rules a limit's value must keep (the game protocol's are
 * checked by them too: `checkedLimits`), and the default path of its socket. A module of its own, so that the CLI
 * resolves a config's `rooms` (its default path) without loading the protocol.
 */
/** Where `createServer({ sockets })` mounts the rooms protocol unless told otherwise (the config's `rooms.path`). */
export const DEFAULT_ROOMS_PATH = "/rooms";

/** Every limit of the rooms protocol, with its default, in one place (documented in docs/rooms.md). */
export interface RoomsLimits {
  /** Bad frames after the handshake (each answered `error`); the one that reaches this closes the socket 4400. */
  maxProtocolErrors: number;
  /** A dropped session may be resumed (`handshake.session_id`) for this long; its rooms keep its seat meanwhile. */
  resumeWindowMs: number;
  /**
   * The room of a match holds a seat for each participant until they join, at most this long (Colyseus's seat
   * reservation time): no other join takes it. Apart from `resumeWindowMs`, which may be 0.
   */
  seatReservationMs: number;
  /** Patches a room keeps for clients that have not acked them; one further behind gets a snapshot. */
  maxKeptPatches: number;
  /** Unsent bytes on a socket above which unreliable messages are coalesced (newest per sender and type) instead of sent. */
  unreliableBufferBytes: number;
  /**
   * Unsent bytes on a socket, beyond the largest message it is still reading (a large snapshot), above which the client
   * is closed 4008: too slow for reliable messages.
   */
  maxReliableBufferBytes: number;
  /** Time to wait for `handshake` before closing 4400. */
  handshakeTimeoutMs: number;
  /**
   * A room writes its state to `room.storage` at most this often (0: after every patch), and always at unload
   * (idle, reload, graceful shutdown). A crash loses at most this much of the state.
   */
  saveIntervalMs: number;
  /** Rooms one session may be in (or joining) at once; a join past it is refused. */
  maxRoomsPerSession: number;
  /**
   * Least time between two snapshots a client asks of one room (`state.resync`, an ack whose checksum differs):
   * asks within it are answered by one snapshot when it ends, so a flood of 60-byte asks cannot make a room send its
   * whole state thousands of times a second.
   */
  minSnapshotIntervalMs: number;
  /** Bytes of patches a room keeps for members that have not acked them (besides `maxKeptPatches`). */
  maxKeptPatchBytes: number;
  /**
   * How long the matchmaker waits for a match's room to store the seats it holds before telling the players
   * (match-seats.ts): past it (a storage write that never settles) they are told anyway, and it is logged.
   */
  seatStoreTimeoutMs: number;
}

export const DEFAULT_ROOMS_LIMITS: Readonly<RoomsLimits> = Object.freeze({
  maxProtocolErrors: 10,
  resumeWindowMs: 30_000,
  seatReservationMs: 30_000,
  maxKeptPatches: 512,
  unreliableBufferBytes: 64 * 1024,
  maxReliableBufferBytes: 8 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  saveIntervalMs: 250,
  maxRoomsPerSession: 32,
  minSnapshotIntervalMs: 1_000,
  maxKeptPatchBytes: 8 * 1024 * 1024,
  seatStoreTimeoutMs: 10_000,
});

/** The longest wait a Node timer takes: past it (`Infinity` too) `setTimeout` fires after 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * What one limit takes: a whole number from `least` (0 where 0 means "none" or "at once", else 1) to `most` (a timer's
 * wait: at most `MAX_TIMER_MS`, or it fires at once); `infinite`: `Infinity` too (the longest wait).
 */
export interface LimitRule {
  least: 0 | 1;
  most?: number;
  infinite?: boolean;
}

export const COUNT: LimitRule = { least: 1 };
export const COUNT_OR_NONE: LimitRule = { least: 0 };
export const WAIT_MS: LimitRule = { least: 1, most: MAX_TIMER_MS };
export const WAIT_OR_NONE_MS: LimitRule = { least: 0, most: MAX_TIMER_MS };
/** `seatStoreTimeoutMs`: past the longest timer it waits that long (match-seats.ts), so Infinity is "as long as a timer can". */
export const SEAT_STORE_WAIT_MS: LimitRule = { least: 1, infinite: true };

/**
 * `defaults` with `overrides`, each checked against its rule: an unknown name, or a value the rule does not take (NaN, a
 * negative, a fraction, a string, a wait no timer can take), throws a TypeError naming the limit, the value given and
 * what it takes, as `createServer({ limits })` does, so a mistake fails at creation rather than as a timer firing at
 * once. `what`: whose limits, for the message (`createRooms`, `createGame`).
 */
export function checkedLimits<T extends object>(what: string, defaults: Readonly<T>, rules: Readonly<Record<keyof T, LimitRule>>, overrides: unknown): T {
  const limits = { ...defaults } as T;
  if (overrides === undefined) return limits;
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides))
    throw new TypeError(`${what}({ limits }) must be an object of limit names to numbers, got ${shown(overrides)}`);
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(defaults, name)) throw new TypeError(`Unknown limit "${name}" of ${what} (known: ${Object.keys(defaults).join(", ")})`);
    checkedValue(`Limit "${name}" of ${what}`, rules[name as keyof T], value);
    (limits as Record<string, number>)[name] = value as number;
  }
  return limits;
}

/** Throws a TypeError saying what `subject` takes unless `rule` takes `value` (a limit, a room type's `maxClients`). */
export function checkedValue(subject: string, rule: LimitRule, value: unknown): void {
  if (!takes(rule, value)) throw new TypeError(`${subject} must be ${allowed(rule)}, got ${shown(value)}`);
}

function takes(rule: LimitRule, value: unknown): boolean {
  if (typeof value !== "number") return false;
  if (value === Number.POSITIVE_INFINITY) return rule.infinite === true;
  return Number.isInteger(value) && value >= rule.least && value <= (rule.most ?? Number.MAX_SAFE_INTEGER);
}

function allowed(rule: LimitRule): string {
  const range = rule.most === undefined ? `${rule.least} or more` : `from ${rule.least} to ${rule.most}`;
  return `a whole number ${range}${rule.most === MAX_TIMER_MS ? " (ms: the longest wait a timer takes)" : ""}${rule.infinite ? ", or Infinity" : ""}`;
}

function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : typeof value === "bigint" ? `${value}n` : String(value);
}

const ROOMS_LIMIT_RULES: Readonly<Record<keyof RoomsLimits, LimitRule>> = {
  maxProtocolErrors: COUNT,
  resumeWindowMs: WAIT_OR_NONE_MS,
  seatReservationMs: WAIT_MS,
  maxKeptPatches: COUNT_OR_NONE,
  unreliableBufferBytes: COUNT_OR_NONE,
  maxReliableBufferBytes: COUNT,
  handshakeTimeoutMs: WAIT_MS,
  saveIntervalMs: WAIT_OR_NONE_MS,
  maxRoomsPerSession: COUNT,
  minSnapshotIntervalMs: WAIT_OR_NONE_MS,
  maxKeptPatchBytes: COUNT_OR_NONE,
  seatStoreTimeoutMs: SEAT_STORE_WAIT_MS,
};

/** `createRooms({ limits })`: the defaults with `overrides`, checked (`checkedLimits`). */
export function resolveRoomsLimits(overrides: unknown): RoomsLimits {
  return checkedLimits("createRooms", DEFAULT_ROOMS_LIMITS, ROOMS_LIMIT_RULES, overrides);
}
