/**
 * Attacks on PostgreSQL's large values (pg-large-values, 0432c97): a put or log entry past `STATEMENT_BYTES` is a
 * statement of its own, its value one binary parameter; a value larger than a read's chunk is got in slices. Values
 * here are just past `STATEMENT_BYTES` (17 MiB: both paths taken, in a second rather than the 30 s of 280 MB).
 *  - a stale claim's large put (with a small one) or large append is refused whole; the owner's values stay;
 *  - a value overwritten, or deleted, while a get reads it in slices: the get sees one whole value, never a mix;
 *  - close() while a get reads slices: the get fails saying the storage is closing, and the close does not wait for it;
 *  - a document whose log holds a large entry, compacted while appends arrive: every append is kept.
 * Each overwrite is made by another connection at a chosen statement of the read (pg.Client's query, spied on).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, afterEach, expect, test, vi } from "vitest";
import * as Y from "yjs";
import { PostgresStorage, type StorageError } from "../../persistence/index.js";
import { encodeKey, serializeValue } from "../../persistence/kv-codec.js";
import { STATEMENT_BYTES } from "../../persistence/pg/commit.js";
import { toText } from "../../persistence/pg/names.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase, query } from "./postgres-helpers.js";

const opened: PostgresStorage[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

/** Past a statement's share: written alone, and read in slices. */
const BYTES = STATEMENT_BYTES + 1024 * 1024;
const big = (): Uint8Array => new Uint8Array(randomBytes(BYTES));
const same = (a: unknown, b: Uint8Array): boolean => a instanceof Uint8Array && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

async function node(url: string, owner: string, mode: "cluster" | "standalone" = "cluster"): Promise<PostgresStorage> {
  const storage = await PostgresStorage.open({ url, mode, owner, onWarning: () => undefined });
  opened.push(storage);
  return storage;
}

/** Sets `key` of `room` to `value` from a connection of its own, as another writer would (or deletes it: undefined). */
async function writeBehind(url: string, room: string, key: string, value: Uint8Array | undefined): Promise<void> {
  if (value === undefined) return void (await query(url, "DELETE FROM room_kv WHERE room = $1 AND key = $2", [toText(room), encodeKey(key)]));
  await query(url, "UPDATE room_kv SET value = $3 WHERE room = $1 AND key = $2", [toText(room), encodeKey(key), Buffer.from(serializeValue(key, value))]);
}

/** Runs `step` once, after the first statement of this process whose text starts with `start` was answered. */
function afterStatement(start: string, step: () => Promise<unknown>): { ran: () => boolean; sentAfter: () => number } {
  const send = pg.Client.prototype.query;
  let ran = false;
  let after = 0;
  vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === "string" ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? "");
    const matches = text.startsWith(start);
    if (matches && ran) after++;
    const query = send as (...a: unknown[]) => Promise<unknown> | undefined;
    if (!matches || ran) return query.apply(this, args);
    ran = true;
    const answered = args.at(-1);
    // The pool's queries are sent with a callback (pool.query), a checked-out client's return a promise.
    if (typeof answered === "function") {
      const answer = answered as (error: unknown, result?: unknown) => void;
      return query.apply(this, [...args.slice(0, -1), (error: unknown, result: unknown) => void step().then(() => answer(error, result), answer)]);
    }
    return query.apply(this, args)!.then(async (result) => {
      await step();
      return result;
    });
  } as never);
  return { ran: () => ran, sentAfter: () => after };
}

const SLICE = "SELECT substring(value FROM";
const FIRST_READ = "SELECT CASE WHEN length(value)";

test("a stale claim's large put, with a small one, and its large append are refused whole; the owner's values stay", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const a = await node(url, "node-a");
  const b = await node(url, "node-b");
  await a.claim("main/r");
  await a.kv("main/r").put("small", "a's first");
  await b.claim("main/r");
  await b.kv("main/r").put("small", "b's");
  const value = big();
  const put = await a
    .kv("main/r")
    .put({ large: value, small: "a's stale" })
    .then(
      () => "written",
      (error: StorageError) => error.code,
    );
  expect(put).toBe("ERR_FENCED");
  const update = new Y.Doc();
  update.getMap("m").set("large", value);
  const append = await a.docs.append("main/r", Y.encodeStateAsUpdate(update)).then(
    () => "written",
    (error: StorageError) => error.code,
  );
  expect(append).toBe("ERR_FENCED");
  expect(await query(url, "SELECT count(*)::int AS n FROM doc_updates")).toEqual([{ n: 0 }]);
  expect(await b.kv("main/r").get("large")).toBeUndefined();
  expect(await b.kv("main/r").get("small")).toBe("b's");
});

test("a large value overwritten while a get reads it in slices: the get sees the value of one moment, whole", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const storage = await node(url, "node-a", "standalone");
  const [before, after] = [big(), big()];
  await storage.kv("main/r").put("v", before);
  // Overwritten once the first slice was read: the rest of the read is of the same snapshot.
  const watch = afterStatement(SLICE, () => writeBehind(url, "main/r", "v", after));
  const got = await storage.kv("main/r").get("v");
  expect(watch.ran()).toBe(true);
  expect(same(got, before)).toBe(true);
  expect(watch.sentAfter()).toBeGreaterThan(0); // the read went on in slices after the overwrite
  vi.restoreAllMocks();
  expect(same(await storage.kv("main/r").get("v"), after)).toBe(true);
});

test("a large value replaced by a small one, or deleted, between the get's first statement and its slices: the new value or none", {
  timeout: 60_000,
}, async () => {
  const { url } = await freshDatabase();
  const storage = await node(url, "node-a", "standalone");
  const small = new Uint8Array([1, 2, 3]);
  await storage.kv("main/r").put({ v: big(), w: big(), x: "after them" });
  afterStatement(FIRST_READ, () => writeBehind(url, "main/r", "v", small));
  expect(same(await storage.kv("main/r").get("v"), small)).toBe(true);
  vi.restoreAllMocks();
  // Deleted: the next key ("x") is not taken for it.
  afterStatement(FIRST_READ, () => writeBehind(url, "main/r", "w", undefined));
  expect(await storage.kv("main/r").get("w")).toBeUndefined();
});

test("close() while a get reads a large value in slices: the get fails saying the storage is closing, the close goes on", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const storage = await node(url, "node-a", "standalone");
  await storage.kv("main/r").put("v", big());
  let closing: Promise<void> | undefined;
  const watch = afterStatement(SLICE, async () => {
    closing = storage.close();
  });
  const got = await storage
    .kv("main/r")
    .get("v")
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  await closing;
  expect(watch.sentAfter()).toBe(0);
  expect(got).toMatchObject({ code: "ERR_STORAGE_READ" });
  expect((got as Error).message).toMatch(/the storage is closing/);
});

test("a document whose log holds a large entry, compacted while appends arrive: every append is kept", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const storage = await node(url, "node-a", "standalone");
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  doc.getMap("m").set("large", big());
  await storage.docs.append("main/d", updates.shift()!);
  const appends: Array<Promise<void>> = [];
  let compaction: Promise<void> | undefined;
  for (let i = 0; i < 20; i++) {
    doc.getArray<number>("a").push([i]);
    appends.push(storage.docs.append("main/d", updates.shift()!));
    if (i === 5) compaction = storage.docs.compact("main/d");
  }
  await Promise.all([...appends, compaction]);
  await storage.close();
  opened.splice(opened.indexOf(storage), 1);
  const restarted = await node(url, "node-b", "standalone");
  const loaded = new Y.Doc();
  Y.applyUpdate(loaded, (await restarted.docs.load("main/d"))!);
  expect(loaded.getArray("a").toArray()).toEqual(Array.from({ length: 20 }, (_, i) => i));
  expect(same(loaded.getMap("m").get("large"), doc.getMap("m").get("large") as Uint8Array)).toBe(true);
  const [entries] = await query(url, "SELECT count(*)::int AS n, max(length(update))::int AS largest FROM doc_updates");
  expect(entries!.largest).toBeGreaterThan(BYTES); // the snapshot: the large entry and the appends before it, merged
});
