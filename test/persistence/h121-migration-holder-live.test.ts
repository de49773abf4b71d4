/**
 * A node waiting for another's schema migration judged the holder stopped once it had been idle in its transaction
 * for longer than the *waiter's* query timeout. A node started with a short one (150 ms) met a live holder between two
 * statements (reading one answer of its migration: batches of up to 500 rows of up to 128 KiB, seconds on a loaded
 * machine) and failed its start with ERR_STORAGE_LOCKED, for nothing. The holder is now judged by a rule of its own
 * (idle in its transaction for `STUCK_AFTER_MS` by PostgreSQL's clock): the waiter waits it out and starts.
 */
import pg from "pg";
import { afterAll, expect, test } from "vitest";
import { openStorage, type StorageProgress } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase } from "./postgres-helpers.js";

afterAll(stopAllEngines);

/** How long the holder stays idle in its transaction between statements: more than 5 of the waiter's query timeouts. */
const IDLE_MS = 800;
const WAITER_QUERY_TIMEOUT_MS = 150;

test(`a node with a ${WAITER_QUERY_TIMEOUT_MS} ms query timeout waits for a migration holder idle ${IDLE_MS} ms between its statements, and starts`, {
  timeout: 30_000,
}, async () => {
  const { url } = await freshDatabase();
  // A migrating node: the lock in its transaction, each next statement sent after reading a long answer.
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  const waits: StorageProgress[] = [];
  try {
    await holder.query("BEGIN");
    await holder.query("SELECT pg_advisory_xact_lock(hashtext('yparty:migrate'))");
    const waiting = openStorage({ url, queryTimeoutMs: WAITER_QUERY_TIMEOUT_MS, onWarning: () => undefined, onProgress: (line) => waits.push(line) });
    const outcome = waiting.then(
      (storage) => ({ storage }),
      (error: unknown) => ({ error }),
    );
    for (let statement = 0; statement < 3; statement++) {
      const settled = await Promise.race([outcome, new Promise((resolve) => setTimeout(resolve, IDLE_MS))]);
      if (settled) break; // failed already (before the fix): nothing to hold it for
      await holder.query("SELECT 1");
    }
    await holder.query("COMMIT");
    const result = await outcome;
    // Before: ERR_STORAGE_LOCKED, "… has sent nothing for 0 s (its process stopped or frozen?) …".
    expect("error" in result ? result.error : undefined).toBeUndefined();
    if ("storage" in result) await result.storage.close();
    expect(waits[0]?.task).toBe("upgrade_wait");
    expect(waits.at(-1)?.stage).toBe("done");
  } finally {
    await holder.end().catch(() => undefined);
  }
});
