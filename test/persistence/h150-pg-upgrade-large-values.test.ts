/**
 * Schema migration 2 (room.storage keys in Durable Objects' order) on a database whose moved rows hold large values:
 * the rows set aside were read back into JavaScript 500 at a time and inserted again as one array of `bytea`, which
 * `pg` sends as hex text in one string (pg-large-values: at most 2^29 characters). 500 values of 600 KB (a rooms or
 * game party's state, which Durable Objects' 128 KiB does not bound; or the persistence library used directly) were
 * 600 million characters: the migration failed as `pg` built the statement, was rolled back, and the server could not
 * start on that database, however often it was started. The values now stay in PostgreSQL: only the keys go through
 * JavaScript (memory too stays bounded whatever the values' size).
 */
import { afterAll, test } from "vitest";
import { openStorage } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { largeValuesToRekey } from "./postgres-helpers.js";

afterAll(stopAllEngines);

/** One batch of the migration's put-back (REENCODE_BATCH), each value past 2^29 / 2 / ROWS bytes. */
const ROWS = 500;
const CHARS = 600_000;

test(`an older yparty's ${ROWS} rows to re-key of ${CHARS / 1000} KB each migrate, and the server starts`, { timeout: 180_000 }, async () => {
  const { url, check } = await largeValuesToRekey(ROWS, CHARS);

  // Before: ERR_STORAGE_READ, 'its schema migration failed (Invalid string length)', at every start.
  const storage = await openStorage({ url, onWarning: () => undefined });
  try {
    await check(storage);
  } finally {
    await storage.close();
  }
});
