/**
 * A batch of room.storage puts too large for `pg` to send as one statement (its arrays of values are sent as text, hex
 * for bytea: 36 rooms' 8 MB values are more characters than a JavaScript string holds). `pg` throws as it binds the
 * named statement (h121 made a batch of puts one named statement, `yparty-fenced-put`), and remembers the statement as
 * sent on that connection, though it closed it: the connection was kept as clean, and every half of the batch, then
 * every single put, failed on it with "26000: prepared statement "yparty-fenced-put" does not exist": all 36 writes
 * rejected. A connection is now kept only after PostgreSQL itself refused the statement; the halves land.
 */
import { afterAll, afterEach, expect, test } from "vitest";
import { openStorage, type Storage } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase } from "./postgres-helpers.js";

const opened: Storage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

const ROOMS = 36;
const VALUE_BYTES = 8_000_000;

test(`${ROOMS} rooms' puts of ${VALUE_BYTES / 1e6} MB in one batch: every one lands, and is there after a restart`, { timeout: 120_000 }, async () => {
  const { url } = await freshDatabase();
  const storage = await openStorage({ url, onWarning: () => undefined });
  opened.push(storage);
  const value = new Uint8Array(VALUE_BYTES).fill(7);
  // Called in one turn: one batch (the group commit's first).
  const outcomes = await Promise.allSettled(Array.from({ length: ROOMS }, (_, i) => storage.kv(`main/big-${i}`).put("v", value)));
  // Before: every one rejected, '… 26000: prepared statement "yparty-fenced-put" does not exist'.
  expect(outcomes.filter((outcome) => outcome.status === "rejected").map((outcome) => String((outcome as PromiseRejectedResult).reason))).toEqual([]);
  await storage.close();
  const restarted = await openStorage({ url, onWarning: () => undefined });
  opened.push(restarted);
  for (let i = 0; i < ROOMS; i++) expect(((await restarted.kv(`main/big-${i}`).get("v")) as Uint8Array).byteLength).toBe(VALUE_BYTES);
});
