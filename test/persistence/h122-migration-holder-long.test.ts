/**
 * A node waiting for another's schema migration judges the holder stopped once it has been idle in its transaction for
 * 10 s by PostgreSQL's clock (persistence/pg/migration-lock.ts, h121). The wait runs in one transaction, and within a
 * transaction PostgreSQL shows `pg_stat_activity` as it was at the first look: the holder's state and `state_change`
 * stayed what the first check saw, while the clock went on. A live migration longer than 10 s, seen idle between two
 * statements at the first check, was then judged stopped and the start failed with ERR_STORAGE_LOCKED (and a holder
 * seen running a statement at the first check would never be judged stopped). Each check now reads it afresh.
 */
import pg from "pg";
import { afterAll, expect, test } from "vitest";
import { openStorage } from "../../persistence/index.js";
import { STUCK_AFTER_MS } from "../../persistence/pg/migration-lock.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase } from "./postgres-helpers.js";

afterAll(stopAllEngines);

test("a migration holder working for longer than the stuck rule, a statement every 200 ms: the waiting node waits and starts", {
  timeout: 60_000,
}, async () => {
  const { url } = await freshDatabase();
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  try {
    await holder.query("BEGIN");
    await holder.query("SELECT pg_advisory_xact_lock(hashtext('yparty:migrate'))");
    const outcome = openStorage({ url, onWarning: () => undefined }).then(
      (storage) => ({ storage }),
      (error: unknown) => ({ error }),
    );
    // Works (a statement, then reads its answer for 200 ms) for the stuck rule and 3 s more.
    const until = performance.now() + STUCK_AFTER_MS + 3_000;
    while (performance.now() < until) {
      const settled = await Promise.race([outcome, new Promise((resolve) => setTimeout(resolve, 200))]);
      if (settled) break; // failed already (before the fix)
      await holder.query("SELECT 1");
    }
    await holder.query("COMMIT");
    const result = await outcome;
    // Before: ERR_STORAGE_LOCKED, "… has sent nothing for 10 s (its process stopped or frozen?) …".
    expect("error" in result ? result.error : undefined).toBeUndefined();
    if ("storage" in result) await result.storage.close();
  } finally {
    await holder.end().catch(() => undefined);
  }
});
