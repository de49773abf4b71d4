/**
 * Attacks on the bounded reads of a document's log (persistence/pg/log-read.ts): a long log is read in pieces, in a
 * read-only transaction on one connection, at most 2 reads at once per storage.
 *  - the connection cut between two pieces: the load fails with ERR_STORAGE_READ (the process does not die of the
 *    client's "error" event), the connection is not reused, and the next load reads the document whole;
 *  - PostgreSQL frozen under many loads at once: each read that goes unanswered fails the ones waiting behind it, so
 *    they all answer within a few timeouts (before: one timeout after the other, 2 at a time: 30 loads took 15);
 *  - a pool of one connection: a long log's read holds it for several statements, and writes meanwhile still land.
 */
import pg from "pg";
import { afterAll, afterEach, expect, test, vi } from "vitest";
import * as Y from "yjs";
import { openStorage, type Storage, StorageError } from "../../persistence/index.js";
import { processTree, stopAllEngines } from "../helpers/engines.js";
import { freshDatabase, query, repeatedLogDocuments } from "./postgres-helpers.js";

const opened: Storage[] = [];
const frozen: number[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const pid of frozen.splice(0)) process.kill(pid, "SIGCONT");
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

/** 1.6 MB logs: several pieces of 256 KiB each. */
const ENTRIES = 40;
const ENTRY_BYTES = 40_000;

const textOf = (update: Uint8Array | null): string => {
  const doc = new Y.Doc();
  if (update) Y.applyUpdate(doc, update);
  return doc.getText("t").toString();
};

async function open(url: string, options: { queryTimeoutMs?: number; poolSize?: number } = {}): Promise<Storage> {
  const storage = await openStorage({ url, ...options, onWarning: () => undefined });
  opened.push(storage);
  return storage;
}

test("the connection cut between two pieces of a long log's read: the load fails with ERR_STORAGE_READ, the next reads it whole", async () => {
  const { url } = await freshDatabase();
  const [text] = await repeatedLogDocuments(url, 1, ENTRIES, ENTRY_BYTES);
  const storage = await open(url);
  // Once the read's transaction is open, its backend is ended (an operator's pg_terminate_backend, a failover).
  let cut = 0;
  const send = pg.Client.prototype.query;
  vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const sent = (send as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    if (typeof args[0] !== "string" || !args[0].startsWith("BEGIN ISOLATION LEVEL REPEATABLE READ") || cut++ > 0) return sent;
    const pid = (this as unknown as { processID: number }).processID;
    return sent.then(async (result) => {
      await query(url, "SELECT pg_terminate_backend($1)", [pid]);
      return result;
    });
  } as never);
  const error = await storage.docs.load("main/big-0").catch((caught: unknown) => caught);
  expect(cut).toBe(1);
  expect(error).toBeInstanceOf(StorageError);
  expect((error as StorageError).code).toBe("ERR_STORAGE_READ");
  expect((error as Error).message).toMatch(/^Could not read document "main\/big-0" from postgres:\/\/\S+: /);
  vi.restoreAllMocks();
  expect(textOf(await storage.docs.load("main/big-0"))).toBe(text);
  // The storage goes on: a write lands.
  await storage.docs.append("main/other", Y.encodeStateAsUpdate(new Y.Doc()));
});

test("PostgreSQL frozen under 20 loads at once: all fail within a few query timeouts, and load once it thaws", { timeout: 60_000 }, async () => {
  const { url, engine } = await freshDatabase();
  const texts = await repeatedLogDocuments(url, 20, 2, 1_000);
  const QUERY_TIMEOUT_MS = 500;
  const storage = await open(url, { queryTimeoutMs: QUERY_TIMEOUT_MS });
  await storage.docs.load("main/big-0"); // a connection open in the pool
  frozen.push(...(await processTree(engine.pid)));
  for (const pid of frozen) process.kill(pid, "SIGSTOP");
  const started = performance.now();
  const outcomes = await Promise.all(
    texts.map((_, i) =>
      storage.docs.load(`main/big-${i}`).then(
        () => "loaded",
        (error: StorageError) => error.code,
      ),
    ),
  );
  const took = performance.now() - started;
  expect(outcomes).toEqual(texts.map(() => "ERR_STORAGE_READ"));
  // Before: 10 rounds of 2 reads, each waiting its timeout (5 s and more).
  expect(took).toBeLessThan(QUERY_TIMEOUT_MS * 5);
  for (const pid of frozen.splice(0)) process.kill(pid, "SIGCONT");
  const loaded = await Promise.all(texts.map((_, i) => storage.docs.load(`main/big-${i}`)));
  expect(loaded.map(textOf)).toEqual(texts);
});

test("a pool of one connection: long logs' reads hold it piece after piece, and writes meanwhile land", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const texts = await repeatedLogDocuments(url, 4, ENTRIES, ENTRY_BYTES);
  const storage = await open(url, { poolSize: 1 });
  const writes = Array.from({ length: 20 }, (_, i) => {
    const doc = new Y.Doc();
    doc.getText("t").insert(0, `write ${i}`);
    return storage.docs.append(`main/write-${i % 4}`, Y.encodeStateAsUpdate(doc));
  });
  const [loaded] = await Promise.all([Promise.all(texts.map((_, i) => storage.docs.load(`main/big-${i}`))), Promise.all(writes)]);
  expect(loaded.map(textOf)).toEqual(texts);
  for (let i = 0; i < 4; i++) expect((await storage.docs.stats(`main/write-${i}`)).updates).toBeGreaterThan(0);
});

test("an entry past 16 slices of 256 KiB (a 5 MB snapshot) is read in 16 larger slices, whole", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const [text] = await repeatedLogDocuments(url, 1, 1, 5_000_000);
  const storage = await open(url);
  let slices = 0;
  const send = pg.Client.prototype.query;
  vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    if (typeof args[0] === "string" && args[0].includes("substring(update")) slices++;
    return (send as (...a: unknown[]) => unknown).apply(this, args);
  } as never);
  expect(textOf(await storage.docs.load("main/big-0"))).toBe(text);
  expect(slices).toBe(16);
});
