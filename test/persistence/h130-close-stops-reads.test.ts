/**
 * A storage closing while a long load reads its log in pieces (a server shutting down while a room of a large document
 * loads): closing ends the pool, which waits for every connection checked out, and so waited for the load to read
 * every piece of its log, one statement and up to a query timeout each, however large. Reads under way now stop at
 * their next piece (the load fails, ERR_STORAGE_READ: nothing is written by a load) and the close goes on.
 */
import pg from "pg";
import { afterAll, afterEach, expect, test, vi } from "vitest";
import { openStorage, StorageError } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase, repeatedLogDocuments } from "./postgres-helpers.js";

afterEach(() => vi.restoreAllMocks());
afterAll(stopAllEngines);

const ENTRIES = 80;
const ENTRY_BYTES = 25_000;

test(`closing while a ${(ENTRIES * ENTRY_BYTES) / 1e6} MB log is read in pieces: at most one piece is read after, and the load fails saying why`, {
  timeout: 60_000,
}, async () => {
  const { url } = await freshDatabase();
  const [text] = await repeatedLogDocuments(url, 1, ENTRIES, ENTRY_BYTES);
  const storage = await openStorage({ url, onWarning: () => undefined });
  let closing: Promise<void> | undefined;
  let piecesAfterClose = 0;
  let pieces = 0;
  const send = pg.Client.prototype.query;
  vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const piece = typeof args[0] === "string" && args[0].startsWith("SELECT fence, seq, CASE WHEN bytes");
    if (piece && closing) piecesAfterClose++;
    const sent = (send as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    // The second piece is the snapshot's first (the first, on the pool, found the log longer than one).
    if (!piece || ++pieces !== 2) return sent;
    return sent.then((result) => {
      closing = storage.close();
      return result;
    });
  } as never);
  const loaded = await storage.docs.load("main/big-0").then(
    () => undefined,
    (error: unknown) => error,
  );
  await closing;
  // Before: the load read all of its pieces (6 after the close), and the close waited for them. Now at most the one
  // sent while the close let the writes under way land.
  expect(piecesAfterClose).toBeLessThanOrEqual(1);
  expect(loaded).toBeInstanceOf(StorageError);
  expect(loaded).toMatchObject({ code: "ERR_STORAGE_READ" });
  expect((loaded as Error).message).toMatch(/Could not read document "main\/big-0" from .*: the storage is closing/);
  expect(text!.length).toBe(ENTRY_BYTES);
});
