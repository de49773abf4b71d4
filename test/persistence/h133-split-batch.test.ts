/**
 * A batch of writes past `STATEMENT_BYTES` (16 MiB) is one transaction of several statements (h130, commit.ts): as
 * atomic, and in order, as one statement was.
 *  - a statement in the middle fails (a key too long for the index, after 16 MiB of puts were sent): nothing of that
 *    write lands, another room's write alongside does, and the next write of the room lands;
 *  - a transaction's clear, puts and deletes of the same keys cut into several statements land in their order.
 */
import { afterAll, afterEach, expect, test } from "vitest";
import { openStorage, type Storage } from "../../persistence/index.js";
import { STATEMENT_BYTES } from "../../persistence/pg/commit.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase, query } from "./postgres-helpers.js";

const opened: Storage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

async function open(): Promise<{ url: string; storage: Storage }> {
  const { url } = await freshDatabase();
  const storage = await openStorage({ url, onWarning: () => undefined });
  opened.push(storage);
  return { url, storage };
}

const half = new Uint8Array(STATEMENT_BYTES / 2).fill(1);
/** 3,000 CJK characters that do not compress: past the 2,704 bytes PostgreSQL's index takes. */
const tooLong = Array.from({ length: 3_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000))).join("");

test("a key too long in the middle of a write of 24 MiB: none of it lands, another room's write alongside lands", { timeout: 60_000 }, async () => {
  const { url, storage } = await open();
  const store = storage.kv("main/a");
  const written = store.transaction(async (txn) => {
    await txn.put("k1", half);
    await txn.put("k2", half);
    await txn.put(tooLong, 1);
    await txn.put("k3", half);
  });
  const other = storage.kv("main/b").put("o", half);
  const [mine, theirs] = await Promise.allSettled([written, other]);
  expect(mine.status).toBe("rejected");
  expect((mine as PromiseRejectedResult).reason.message).toMatch(/is too long for the PostgreSQL store/);
  expect(theirs.status).toBe("fulfilled");
  expect(await query(url, "SELECT room, count(*)::int AS keys FROM room_kv GROUP BY room")).toEqual([{ room: "main/b", keys: 1 }]);
  await store.put("after", 1);
  expect([...(await store.list()).keys()]).toEqual(["after"]);
});

test("a clear, then puts and deletes of the same keys past 16 MiB: they land in their order", { timeout: 60_000 }, async () => {
  const { storage } = await open();
  const store = storage.kv("main/a");
  await store.put({ k1: 1, k2: 2, k9: 9 });
  await store.transaction(async (txn) => {
    await txn.deleteAll();
    await txn.put("k1", half);
    await txn.delete("k1");
    await txn.put("k2", half);
    await txn.put("k3", half);
    await txn.delete("k9");
    await txn.put("k1", 5);
  });
  expect([...(await store.list()).keys()]).toEqual(["k1", "k2", "k3"]);
  expect(await store.get("k1")).toBe(5);
  expect(((await store.get("k3")) as Uint8Array).byteLength).toBe(half.byteLength);
});
