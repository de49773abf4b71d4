/**
 * Which PostgreSQL failures leave a commit's outcome unknown or say "try again": the connection was lost or refused,
 * the server is shutting down, starting or recovering, or it resolved a conflict by aborting us. A batch that failed
 * so is committed again, the same (its rows are idempotent, docs/persistence.md "PostgreSQL"); any other failure is
 * the batch's own and fails its jobs.
 */

/** SQLSTATE classes and codes worth retrying: 08 connection exception, 57P0x shutdown/recovery, 53300 too many
 * connections, 40001/40P01 serialization failure and deadlock. */
const retryableCodes = /^(08|57P0[1-4]|53300|40001|40P01)/;
/** Node's socket errors, and the messages pg gives a connection that ended under it. */
const socketCodes = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND"]);
/**
 * `pg`'s errors for a statement or a connection left unanswered (PostgreSQL frozen, a network that drops packets): its
 * own `query_timeout` ("Query read timeout") and the connection's timeouts. Each costs a whole timeout.
 */
const unansweredMessages = /Query read timeout|timeout exceeded when trying to connect|connection timeout/i;

export const isUnanswered = (error: unknown): boolean => error instanceof Error && unansweredMessages.test(error.message);

/** A statement given up for the query timeout: left unanswered by pg's clock, or cancelled by PostgreSQL's (57014, statement_timeout). */
export const isTimedOut = (error: unknown): boolean => isUnanswered(error) || (error as { code?: unknown } | null)?.code === "57014";

/** A connection that ended, or a statement left unanswered: the outcome is unknown. */
const lostConnection = new RegExp(`Connection terminated|Client has encountered a connection error|Client was closed|${unansweredMessages.source}`, "i");

export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && (retryableCodes.test(code) || socketCodes.has(code))) return true;
  return error instanceof Error && lostConnection.test(error.message);
}

/**
 * SQLSTATE classes that speak of the database, not of what a batch writes: 53 insufficient resources (disk full), 42
 * and 28 access and definitions (a revoked grant, a dropped table), 25 transaction state (a read-only standby), 3D/3F
 * a missing database or schema, 55 objects not ready, 58 and XX system and internal errors. Every write would fail
 * alike: splitting a batch that failed so (storage.ts `isolates`) would only repeat the failure.
 */
const databaseStateCodes = /^(53|42|28|25|3D|3F|55|58|XX)/;

/** Whether `error` may be one write's own (a key too long, a value PostgreSQL cannot take), not the connection's or the database's. */
export function mayBeOneWrites(error: unknown): boolean {
  if (isTransient(error)) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return !(typeof code === "string" && databaseStateCodes.test(code));
}

/** Waits before attempt `attempt` (1, 2, …): 100 ms doubling to 2 s, as docs/design/cluster.md says. */
export function backoffMs(attempt: number): number {
  return Math.min(2_000, 100 * 2 ** (attempt - 1));
}
