/**
 * The lock under which one storage that opens migrates the schema (schema.ts), nodes starting together migrating
 * once. A node that finds it taken waits for the other's migration, which can take as long as the data it moves: a
 * plain `pg_advisory_xact_lock` would count that wait against the node's query timeout and fail its start with a bare
 * "Query read timeout" while the migration goes well. The wait is cut into waits of `lock_timeout` well within the
 * query timeout instead, for as long as the holder works; a holder idle in its transaction for `STUCK_AFTER_MS` (its
 * process stopped or frozen, its connection open) fails the start with what to do.
 */
import type { PoolClient } from "pg";
import { startProgress, type OnStorageProgress } from "../progress.js";
import { StorageError } from "../types.js";

const LOCK_KEY = "hashtext('yparty:migrate')";
/** One wait on the lock at most (less with a short query timeout). */
const WAIT_SLICE_MS = 1_000;
/**
 * How long the holder may stay idle in its transaction before it is judged stopped. Its own: not the waiter's query
 * timeout, which judged a live holder stopped when the waiter's was short (150 ms) and the holder took longer to read
 * one answer (the migration's batches are up to 500 rows of up to 128 KiB each: seconds on a loaded machine), and the
 * waiter's start failed with ERR_STORAGE_LOCKED for nothing.
 */
export const STUCK_AFTER_MS = 10_000;
/** PostgreSQL's lock_not_available: a `lock_timeout` passed. */
const LOCK_NOT_AVAILABLE = "55P03";

/** The backend holding the lock, as PostgreSQL shows it (an advisory lock on a bigint: its high and low 32 bits). */
interface Holder {
  pid: number;
  state: string | null;
  address: string | null;
  application: string | null;
  /** Milliseconds since its state last changed (a statement began or ended). */
  quiet_ms: string | null;
}

/** Takes the migration lock in the client's open transaction, waiting (reported) for another node's migration. */
export async function takeMigrationLock(
  client: PoolClient,
  location: string,
  queryTimeoutMs: number,
  onProgress: OnStorageProgress | undefined,
): Promise<void> {
  const { rows } = await client.query<{ taken: boolean }>(`SELECT pg_try_advisory_xact_lock(${LOCK_KEY}) AS taken`);
  if (rows[0]!.taken) return;
  const wait = startProgress(
    onProgress,
    "upgrade_wait",
    location,
    `Waiting for another yparty's schema migration of ${location} (nodes starting together migrate once): this one starts after it`,
  );
  const slice = Math.max(1, Math.min(WAIT_SLICE_MS, Math.floor(queryTimeoutMs / 3)));
  for (;;) {
    // Within a savepoint: a wait that times out fails only the savepoint, and its lock_timeout goes with it.
    await client.query("SAVEPOINT yparty_migrate_wait");
    await client.query(`SET LOCAL lock_timeout = ${slice}`);
    try {
      await client.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
      // The lock stays the transaction's; the migration's own statements wait on locks as the session says.
      await client.query("RELEASE SAVEPOINT yparty_migrate_wait");
      await client.query("SET LOCAL lock_timeout TO DEFAULT");
      wait.done((took) => `Waited ${took} for another yparty's schema migration of ${location}`);
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== LOCK_NOT_AVAILABLE) throw error;
      await client.query("ROLLBACK TO SAVEPOINT yparty_migrate_wait");
    }
    const holder = await holderOf(client);
    if (holder && isStuck(holder)) throw stuckError(location, holder);
    if (holder && wait.due()) {
      wait.report({
        message: `Still waiting for another yparty's schema migration of ${location} (PostgreSQL backend ${holder.pid}: ${holder.state ?? "state not shown to this user"})`,
      });
    }
  }
}

async function holderOf(client: PoolClient): Promise<Holder | undefined> {
  // The wait is one transaction, in which PostgreSQL shows pg_stat_activity as it was at the first look: the holder's
  // state and state_change stayed the first check's while the clock went on, so a live migration seen idle between two
  // statements was judged stopped 10 s later (and one seen running, never). Each check reads it afresh.
  await client.query("SELECT pg_stat_clear_snapshot()");
  const { rows } = await client.query<Holder>(
    "SELECT a.pid, a.state, host(a.client_addr) AS address, a.application_name AS application, " +
      "(extract(epoch FROM clock_timestamp() - a.state_change) * 1000)::bigint AS quiet_ms " +
      "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid " +
      "WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) " +
      `AND l.classid::bigint = (${LOCK_KEY}::bigint >> 32) & 4294967295 AND l.objid::bigint = ${LOCK_KEY}::bigint & 4294967295 AND l.objsubid = 1`,
  );
  return rows[0];
}

/**
 * A migrating node sends its next statement as soon as it has read the last one's answer: idle in its transaction,
 * sending nothing since PostgreSQL's own clock says (`state_change`), for `STUCK_AFTER_MS`, it is not migrating any
 * more. (A statement running, however long, is work: it is waited for.)
 */
const isStuck = (holder: Holder): boolean =>
  holder.state !== null && holder.state.startsWith("idle in transaction") && Number(holder.quiet_ms) > STUCK_AFTER_MS;

function stuckError(location: string, holder: Holder): StorageError {
  const who = [holder.address, holder.application ? JSON.stringify(holder.application) : undefined].filter(Boolean).join(", ");
  return new StorageError(
    "ERR_STORAGE_LOCKED",
    `${location}: the schema migration this start waits for stopped: PostgreSQL backend ${holder.pid}${who ? ` (${who})` : ""} holds its ` +
      `lock and has sent nothing for ${Math.round(Number(holder.quiet_ms) / 1000)} s (its process stopped or frozen?). Stop that ` +
      `process, or end the backend (SELECT pg_terminate_backend(${holder.pid})): its migration is rolled back, nothing is lost; ` +
      "then start this one again, which runs the migration",
  );
}
