/**
 * Schema migration 2 (room.storage keys into Durable Objects' order) under a query timeout its statements passed.
 * Each statement was sized by a fixed count of rows (2,000 set aside, 500 put back), whatever their values' size and
 * whatever a row costs on that database: 2,000 values of 2 MB under the default 30 s query timeout, 1,000 of 512 KB
 * under a 1.5 s `queryTimeoutMs`, or 2,000 rows of a table whose deletes cost 0.1 ms a row under 150 ms, made one
 * statement longer than the timeout, and the migration failed at every start ("Query read timeout"), its message
 * sending the operator after a PostgreSQL restart or a missing permission. Each statement now copies at most a tenth
 * of the timeout's worth of bytes (at 100 MB/s), and takes as many rows as the last ones suggest fit in a tenth of it.
 *
 * A slow disk or a large table is played by triggers: each statement that deletes (or inserts) rows of room_kv sleeps
 * for their bytes, or their count (the values, repeated characters, are quick to set up otherwise).
 */
import { afterAll, expect, test } from "vitest";
import { openStorage, type StorageProgress } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { largeValuesToRekey, query, schemaOneDatabase } from "./postgres-helpers.js";

afterAll(stopAllEngines);

const ROWS = 100;
const CHARS = 1_000_000;
const BYTES_PER_MS = 65_536;
const QUERY_TIMEOUT_MS = 1_000;

test(`${ROWS} rows to re-key of ${CHARS / 1e6} MB each, on a disk of 64 MB/s, under a ${QUERY_TIMEOUT_MS} ms query timeout: the migration completes`, {
  timeout: 120_000,
}, async () => {
  const { url, check } = await largeValuesToRekey(ROWS, CHARS);
  for (const [event, table] of [
    ["DELETE", "OLD TABLE AS rows"],
    ["INSERT", "NEW TABLE AS rows"],
  ] as const) {
    const slow = `slow_${event.toLowerCase()}s`;
    await query(
      url,
      `CREATE FUNCTION ${slow}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
        `PERFORM pg_sleep(coalesce((SELECT sum(octet_length(value)) FROM rows), 0) / ${BYTES_PER_MS * 1000}.0); RETURN NULL; END $$`,
    );
    await query(url, `CREATE TRIGGER ${slow} AFTER ${event} ON room_kv REFERENCING ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${slow}()`);
  }

  const lines: StorageProgress[] = [];
  // Before: ERR_STORAGE_READ, 'its schema migration failed (Query read timeout)', at every start (one statement set
  // aside all 100 MB: 1.5 s).
  const storage = await openStorage({ url, queryTimeoutMs: QUERY_TIMEOUT_MS, onWarning: () => undefined, onProgress: (line) => lines.push(line) });
  try {
    await check(storage);
  } finally {
    await storage.close();
  }
  // Still reported while it runs (some 3 s), then done with every row.
  expect(lines.filter((line) => line.stage === "progress").length).toBeGreaterThan(0);
  expect(lines.at(-1)).toMatchObject({ stage: "done", message: expect.stringContaining(`${ROWS} rows read, ${ROWS} re-keyed`) });
});

test("10,000 rows to re-key of a table whose deletes cost 0.3 ms a row, under a 450 ms query timeout: the migration completes", {
  timeout: 120_000,
}, async () => {
  const rows = Array.from({ length: 10_000 }, (_, i) => ({ room: `main/r${i % 100}`, key: `\uE000${i}` }));
  const url = await schemaOneDatabase(rows, 0.3);
  const lines: StorageProgress[] = [];
  // Before: ERR_STORAGE_READ, 'its schema migration failed (Query read timeout)' (2,000 rows deleted in one statement: 600 ms).
  // (Three times the header's 0.1 ms and 150 ms, the same proportions: the query timeout also bounds a connect, and
  // opening a PostgreSQL connection in CI, on a loaded machine, once took past 150 ms.)
  const storage = await openStorage({ url, queryTimeoutMs: 450, onWarning: () => undefined, onProgress: (line) => lines.push(line) });
  await storage.close();
  expect(await query(url, "SELECT version FROM yparty_schema")).toEqual([{ version: 2 }]);
  expect(await query(url, "SELECT count(*)::int AS n FROM room_kv")).toEqual([{ n: rows.length }]);
  expect(lines.at(-1)).toMatchObject({ stage: "done", message: expect.stringContaining("10,000 rows read, 10,000 re-keyed") });
});
