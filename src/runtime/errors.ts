/**
 * Runtime errors with stable codes, and the one place they become HTTP answers.
 * Clients only ever see `{ error: { code, message } }`; stacks go to the log.
 */
import { CloseCode } from "../protocol/close-codes.js";

export type RuntimeErrorCode =
  /** The request itself is malformed (an invalid Host header). */
  | "ERR_BAD_REQUEST"
  /** No route, party listing or `onFetch` answered this path. */
  | "ERR_NOT_FOUND"
  /** A method the path does not take (the party listing is GET only). */
  | "ERR_METHOD_NOT_ALLOWED"
  /** A request body in a transfer coding the server cannot decode (`Transfer-Encoding: gzip, chunked`). */
  | "ERR_NOT_IMPLEMENTED"
  /** The path names a party the server does not have. */
  | "ERR_UNKNOWN_PARTY"
  /** The room id is empty, too long, has control characters or bad %-escapes. */
  | "ERR_INVALID_ROOM_ID"
  /** The party has no `onRequest` (HTTP) or the request is not a WebSocket upgrade it can take. */
  | "ERR_NO_HANDLER"
  /** The room already holds `limits.maxConnectionsPerRoom` connections. */
  | "ERR_ROOM_FULL"
  /** The server is closing or reloading. */
  | "ERR_SHUTTING_DOWN"
  /** User code threw; the details are in the log only. */
  | "ERR_INTERNAL"
  /** `onStart` threw; the next arrival retries it. */
  | "ERR_START_FAILED"
  /** A hook (`onConnect`, `onMessage`, a message listener, …) threw for one connection. */
  | "ERR_HOOK_FAILED"
  /** A frame over `limits.maxMessageBytes`. */
  | "ERR_MESSAGE_TOO_BIG"
  /** A body still coming in after its answer passed `limits.maxDrainBytes` or `limits.drainTimeoutMs`: its socket was closed. */
  | "ERR_BODY_UNREAD"
  /** A client stopped reading and its send buffer passed `limits.maxSendBufferBytes`. */
  | "ERR_SEND_BUFFER_FULL"
  /** A socket did not answer a ping within `limits.heartbeatTimeoutMs`. */
  | "ERR_HEARTBEAT_TIMEOUT"
  /** A `crons` entry is not a cron expression yparty can run. */
  | "ERR_INVALID_CRON"
  /** `onAlarm` threw: retried with backoff (`limits.alarmRetries`), then dropped. */
  | "ERR_ALARM_FAILED"
  /** `getConnectionTags` returned something PartyKit would refuse. */
  | "ERR_INVALID_TAGS"
  /** `documentStorage()` got an object that is not a yparty room. */
  | "ERR_NOT_A_ROOM"
  /** `server.storage` was read before `listen()` opened it. */
  | "ERR_NOT_LISTENING"
  /** A socket-level error reported by `ws` (bad frame, reset). */
  | "ERR_SOCKET"
  /** Cluster: the room's owner changed while a forwarded request was on its way; the client's retry finds the new one. */
  | "ERR_ROOM_MOVED"
  /** Cluster: no node can serve the room now (its owner is unreachable, or Redis or PostgreSQL is down); retry later. */
  | "ERR_ROOM_UNAVAILABLE";

export class RuntimeError extends Error {
  override readonly name = "RuntimeError";
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    /** The HTTP status this error answers with. */
    readonly status = 500,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /**
   * A 503 (the server is shutting down; cluster: no node can serve the room now): the same call may succeed later. As
   * the `retryable` of Cloudflare's Durable Object errors, which partyserver's `routingRetry` reads.
   */
  get retryable(): boolean {
    return this.status === 503;
  }
}

/**
 * A party name that is none of the server's: names `parties` (those the asker may be told of), since the usual cause
 * is a typo or a party the config does not declare (`parties` in partykit.json).
 */
export function unknownPartyError(party: string, parties: Iterable<string>): RuntimeError {
  const names = [...parties];
  const here = names.length > 0 ? `; the parties here are: ${names.join(", ")}` : "";
  return new RuntimeError("ERR_UNKNOWN_PARTY", `There is no party named "${party}"${here}`, 404);
}

/** The JSON body every runtime error answer carries. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorResponse(code: RuntimeErrorCode | string, message: string, status: number): Response {
  const body: ErrorBody = { error: { code, message } };
  return Response.json(body, { status });
}

/** A `RuntimeError`'s answer; a 503 (no node can serve the room now, shutting down) says when to retry. */
export function runtimeErrorResponse(error: RuntimeError): Response {
  const response = errorResponse(error.code, error.message, error.status);
  if (error.status === 503) response.headers.set("Retry-After", "1");
  return response;
}

/** A 405 with the `Allow` header HTTP requires: `allow` lists every method the resource takes, HEAD too where GET is. */
export function methodNotAllowed(allow: readonly string[], message = `Use ${allow.join(", ")}`): Response {
  const response = errorResponse("ERR_METHOD_NOT_ALLOWED", message, 405);
  response.headers.set("Allow", allow.join(", "));
  return response;
}

/** A generic 500 for a throw in user code: never the stack, never the message (it may hold secrets). */
export function internalErrorResponse(): Response {
  return errorResponse("ERR_INTERNAL", "Internal server error", 500);
}

/** Codes of a storage call refused because this room instance may no longer write: another holds the room now. */
const ROOM_MOVED_CODES = new Set(["ERR_FENCED", "ERR_ROOM_STOPPED"]);

/**
 * The answer to a hook's throw that is no fault of its code, only of the moment, found as the error or as a `cause` of
 * what the hook threw: 503 with `Retry-After`, so that its client retries, not a bare 500.
 * - A storage call refused because the room moved while the request ran: another node of a cluster owns it now
 *   (`ERR_FENCED`), or this instance stopped (`ERR_ROOM_STOPPED`: its lease was lost, or a reload): the retry reaches
 *   the room's current instance (`ERR_ROOM_UNAVAILABLE`).
 * - A runtime 503 the hook did not catch (`error.retryable`): a `context.parties` stub's `fetch` to a room no node can
 *   serve now (cluster: Redis or PostgreSQL unreachable), or the server shutting down: answered with its own code and
 *   message, as a client of that room gets them.
 */
export function retryLaterResponse(error: unknown): { response: Response; code: string; message: string } | undefined {
  const failure = failureOfTheMoment(error);
  return failure && { response: runtimeErrorResponse(failure), code: failure.code, message: failure.message };
}

/**
 * What `error` (a throw of user code) is, or was caused by, when it is no fault of the code, only of the moment (see
 * `retryLaterResponse`), as the runtime 503 its client is answered with; undefined for a fault of the code.
 */
export function failureOfTheMoment(error: unknown): RuntimeError | undefined {
  const retryable = retryableIn(error);
  if (retryable) return retryable;
  if (!findInCauses(error, (cause) => ROOM_MOVED_CODES.has(codeOf(cause, "")) || undefined)) return undefined;
  return new RuntimeError("ERR_ROOM_UNAVAILABLE", "The room moved while this request ran (its writes were refused); try again", 503);
}

/** The runtime error worth a retry (`retryable`: a 503) that `error` is, or was caused by. */
export function retryableIn(error: unknown): RuntimeError | undefined {
  return findInCauses(error, (cause) => (cause instanceof RuntimeError && cause.retryable ? cause : undefined));
}

/** How many causes deep a failure is looked for: what user code threw may loop (`e.cause = e`). */
const MAX_CAUSES = 8;

/**
 * What `pick` finds first in `error` or its causes (outermost first, at most MAX_CAUSES). What user code threw may have
 * a `cause` chain that loops, or getters that throw (a Proxy): a read that throws ends the search, found nothing.
 */
export function findInCauses<T>(error: unknown, pick: (cause: unknown) => T | undefined): T | undefined {
  let cause = error;
  for (let depth = 0; depth < MAX_CAUSES && cause !== undefined && cause !== null; depth++) {
    try {
      const found = pick(cause);
      if (found !== undefined) return found;
      cause = (cause as { cause?: unknown }).cause;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The close code of a socket refused, or whose hook failed, for a reason worth a retry (`retryableIn`): 1001 when the
 * server shuts down (as its open sockets are closed), 1013 for any other 503 (no node can serve the room now, as a
 * room that cannot load is on one node); undefined for any other failure.
 */
export function retryCloseCode(error: unknown): number | undefined {
  const retryable = retryableIn(error);
  return retryable ? retryCloseCodeOf(retryable.code) : undefined;
}

/** `retryCloseCode` by the failure's code. */
export function retryCloseCodeOf(code: string): number {
  return code === "ERR_SHUTTING_DOWN" ? CloseCode.GoingAway : CloseCode.TryAgainLater;
}

/** The error's own stable `code` when it has one (RuntimeError, StorageError, ProtocolError, ws errors). */
export function codeOf(error: unknown, fallback: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : fallback;
}

export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
