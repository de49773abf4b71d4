/**
 * A schema migration statement past `queryTimeoutMs` failed the start, but only the client gave up on it (pg's
 * query_timeout stops waiting): PostgreSQL ran it to its end, holding the migration lock and the rows it touched, so
 * the operator's next start waited for "another yparty's schema migration" that was this dead one. The migration's
 * transaction now sets `statement_timeout` to the same bound: PostgreSQL cancels the statement when the client gives
 * up. A slow statement is played by a trigger sleeping 20 s on the re-keying's first delete.
 */
import { afterAll, expect, test } from "vitest";
import { openStorage } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { query, schemaOneDatabase } from "./postgres-helpers.js";
import { withTimeout } from "./helpers.js";

afterAll(stopAllEngines);

/** Statements of the migration still running in PostgreSQL (the trigger's sleep among them). */
const leftRunning = async (url: string) =>
  (await query(url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query ILIKE '%room_kv%'"))[0] as {
    n: number;
  };

test("a start whose migration statement passed queryTimeoutMs leaves nothing of it running in PostgreSQL", { timeout: 60_000 }, async () => {
  const url = await schemaOneDatabase([{ room: "main/r", key: "\uE000a" }], 20_000);
  const failed = await openStorage({ url, queryTimeoutMs: 1_000, onWarning: () => undefined }).then(
    (storage) => storage.close().then(() => "opened"),
    (error: Error) => error.message,
  );
  expect(failed).toContain("its schema migration failed");
  expect(failed).toContain("one of its statements took longer than the query timeout (1000 ms). Start again with a longer one (--query-timeout <ms>");
  // Before: the delete and its 20 s sleep ran on (and held the migration lock) for some 19 s after the start failed.
  await withTimeout(
    (async () => {
      while ((await leftRunning(url)).n > 0) await new Promise((resolve) => setImmediate(resolve));
    })(),
    5_000,
    "the failed migration's statement to be cancelled",
  );
});
