/**
 * A storage closing (a server shutting down) while two long loads read their logs in pieces and a compaction waits for
 * its turn behind them (a room unloading compacts, and a compaction reads its log in the same bounded reads, 2 at once
 * per storage). h130 made close stop the long reads at their next piece, but only once the writes under way landed:
 * the compaction is one of them, and it waited for the loads, which read every piece of their logs, one statement and
 * up to a query timeout each. Loads and lists now stop as the close begins (a list waiting its turn fails when it
 * comes); the compaction still reads and lands.
 */
import pg from "pg";
import { afterAll, afterEach, expect, test, vi } from "vitest";
import * as Y from "yjs";
import { openStorage, StorageError } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { textOf, textUpdate, withTimeout } from "./helpers.js";
import { freshDatabase, query, repeatedLogDocuments } from "./postgres-helpers.js";

afterEach(() => vi.restoreAllMocks());
afterAll(stopAllEngines);

/** 2 MB logs: 8 pieces of 256 KiB each. */
const ENTRIES = 80;
const ENTRY_BYTES = 25_000;
const isPiece = (text: unknown): boolean => typeof text === "string" && /^SELECT (fence, seq|key), CASE WHEN bytes/.test(text);

test("closing while two long loads read and a compaction waits behind them: the loads stop at their next piece, the compaction lands", {
  timeout: 60_000,
}, async () => {
  const { url } = await freshDatabase();
  await repeatedLogDocuments(url, 2, ENTRIES, ENTRY_BYTES);
  const storage = await openStorage({ url, onWarning: () => undefined });
  const writer = new Y.Doc();
  for (const word of ["one ", "two ", "three"]) await storage.docs.append("main/small", textUpdate(writer, word));
  const listed = storage.kv("main/listed");
  await listed.put(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, "v".repeat(ENTRY_BYTES * 10)])));
  let closing: Promise<void> | undefined;
  let compacting: Promise<void> | undefined;
  let pieces = 0;
  let piecesAfterClose = 0;
  const send = pg.Client.prototype.query;
  vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const piece = isPiece(args[0]);
    if (piece && closing) piecesAfterClose++;
    const sent = (send as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    // The fourth piece: both loads are in their snapshots (each read its first piece on the pool, then again).
    if (!piece || ++pieces !== 4) return sent;
    return sent.then((result) => {
      compacting = storage.docs.compact("main/small");
      closing = storage.close();
      return result;
    });
  } as never);
  const failure = (error: unknown) => error;
  const loads = Promise.all(["main/big-0", "main/big-1"].map((name) => storage.docs.load(name).then(() => undefined, failure)));
  // Third: it waits for its turn behind the loads.
  const list = listed.list().then(() => undefined, failure);
  const [loaded, listFailed] = await Promise.all([loads, list]);
  await withTimeout(Promise.all([closing, compacting]), 30_000, "the close and the compaction");
  vi.restoreAllMocks();
  // Before: the loads read all of their pieces (12 after the close began), the close waiting for them.
  expect(piecesAfterClose).toBeLessThanOrEqual(2);
  for (const load of loaded) {
    expect(load).toBeInstanceOf(StorageError);
    expect((load as Error).message).toMatch(/Could not read document "main\/big-\d" from .*: the storage is closing/);
  }
  expect(listFailed).toMatchObject({ code: "ERR_STORAGE_READ" });
  expect((listFailed as Error).message).toMatch(/Could not read room "main\/listed" from .*: the storage is closing/);
  // The compaction read its log and landed: one entry, the whole text.
  const rows = await query(url, "SELECT update FROM doc_updates WHERE doc = 'main/small'");
  expect(rows).toHaveLength(1);
  expect(textOf(rows[0]!.update as Uint8Array)).toBe("one two three");
});
