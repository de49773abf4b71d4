/**
 * A load that read more than `compactOnLoadAbove` entries compacts the document with the merge it made. The compaction
 * then read the whole log again (persistence/pg/doc-pg.ts), only to learn the keys the load had just read: twice the
 * bytes from PostgreSQL, and, since h121 bounds the reads (2 at once per storage, log-read.ts), a second read in the
 * queue every other room's load waits in: a node taking over many long logs read each twice. It now deletes the keys
 * the load read. Oracle: the document whole, its log one snapshot, after a restart too.
 */
import pg from "pg";
import { afterAll, afterEach, expect, test, vi } from "vitest";
import * as Y from "yjs";
import { openStorage, type Storage } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase, query, repeatedLogDocuments } from "./postgres-helpers.js";

const opened: Storage[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

const textOf = (update: Uint8Array | null): string => {
  const doc = new Y.Doc();
  if (update) Y.applyUpdate(doc, update);
  return doc.getText("t").toString();
};

test("a load of 600 entries (600 KB) compacts without reading the log again", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const [text] = await repeatedLogDocuments(url, 1, 600, 1_000);
  // Its entries are under fence 1: the room was claimed so (the compaction writes under the next claim's fence).
  await query(url, "INSERT INTO rooms (name, fence, owner) VALUES ('main/big-0', 1, 'an earlier node')");
  const storage = await openStorage({ url, onWarning: () => undefined });
  opened.push(storage);
  let reads = 0;
  const send = pg.Client.prototype.query;
  vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    if (typeof args[0] === "string" && /^SELECT fence, seq, (CASE|update)/.test(args[0])) reads++;
    return (send as (...a: unknown[]) => unknown).apply(this, args);
  } as never);
  expect(textOf(await storage.docs.load("main/big-0"))).toBe(text);
  const byLoad = reads;
  await storage.close(); // waits for the compaction
  // Before: the compaction read the 600 entries again, in as many statements as the load.
  expect(reads).toBe(byLoad);
  vi.restoreAllMocks();
  const restarted = await openStorage({ url, onWarning: () => undefined });
  opened.push(restarted);
  expect(await restarted.docs.stats("main/big-0")).toMatchObject({ updates: 1 });
  expect(textOf(await restarted.docs.load("main/big-0"))).toBe(text);
});
