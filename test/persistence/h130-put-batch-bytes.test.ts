/**
 * Key-value puts waiting together past what one statement can send (`pg` sends arrays of `bytea` as hex text in one
 * JavaScript string, at most 2^29 characters: some 260 MB of values). Before, the batch was sent whole, `pg` threw as
 * it built it, and the group committer committed it again in halves (h122): a failed attempt each time, the rooms'
 * writes in several transactions, and one room's puts (one writer: never split) never landed at all. A batch is now
 * cut by bytes into statements of one transaction (persistence/pg/commit.ts, `STATEMENT_BYTES`): its first attempt
 * lands, all of it at once.
 */
import { afterAll, afterEach, expect, test } from "vitest";
import { openStorage, type Storage } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase, query } from "./postgres-helpers.js";

const opened: Storage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

const VALUES = 36;
const VALUE_BYTES = 8_000_000;

/** How many keys `room_kv` holds, and how many transactions wrote them (the transaction that wrote a row is its xmin). */
const written = async (url: string) => (await query(url, "SELECT count(*)::int AS keys, count(DISTINCT xmin::text)::int AS transactions FROM room_kv"))[0];

test(`one put of ${VALUES} entries of ${VALUE_BYTES / 1e6} MB: it lands, in one transaction`, { timeout: 120_000 }, async () => {
  const { url } = await freshDatabase();
  const storage = await openStorage({ url, onWarning: () => undefined });
  opened.push(storage);
  const store = storage.kv("main/big");
  const value = new Uint8Array(VALUE_BYTES).fill(7);
  // One write (a room's writes apply one after another): one job, which no split of its batch could cut.
  await store.put(Object.fromEntries(Array.from({ length: VALUES }, (_, i) => [`v${i}`, value])));
  expect(await written(url)).toEqual({ keys: VALUES, transactions: 1 });
  expect(((await store.get("v35")) as Uint8Array).byteLength).toBe(VALUE_BYTES);
});

test(`${VALUES} rooms' puts of ${VALUE_BYTES / 1e6} MB in one batch: one transaction, its first attempt`, { timeout: 120_000 }, async () => {
  const { url } = await freshDatabase();
  const storage = await openStorage({ url, onWarning: () => undefined });
  opened.push(storage);
  const value = new Uint8Array(VALUE_BYTES).fill(7);
  const outcomes = await Promise.allSettled(Array.from({ length: VALUES }, (_, i) => storage.kv(`main/big-${i}`).put("v", value)));
  expect(outcomes.filter((outcome) => outcome.status === "rejected")).toEqual([]);
  // Before: committed again in halves after the whole failed, in 2 transactions or more.
  expect(await written(url)).toEqual({ keys: VALUES, transactions: 1 });
});
