/**
 * A compaction whose snapshot could not take its key (h127: the key already holds another entry, rows inserted by hand
 * or another writer on the room's fence) keeps the entries it replaces, rightly, but said nothing: the log just grew,
 * compaction after compaction, and the operator had no line to act on. It is now told once per document, through
 * `onWarning` (which a server logs as `storage.warning`, at level error), with the key and what to do.
 */
import { afterAll, afterEach, expect, test } from "vitest";
import * as Y from "yjs";
import { openStorage, type Storage, type StorageWarning } from "../../persistence/index.js";
import { hasFencing } from "../../persistence/pg/storage.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase, query } from "./postgres-helpers.js";

const opened: Storage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

const ROOM = "main/stopped";

const textOf = (update: Uint8Array | null): string => {
  const doc = new Y.Doc();
  if (update) Y.applyUpdate(doc, update);
  return doc.getText("t").toString();
};

test("a compaction stopped by an entry at its snapshot's key: the log stays whole, and it is told once, saying what to do", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const warnings: StorageWarning[] = [];
  const storage = await openStorage({ url, onWarning: (warning) => warnings.push(warning) });
  opened.push(storage);
  const doc = new Y.Doc();
  for (const word of ["alpha ", "beta ", "gamma"]) {
    const before = Y.encodeStateVector(doc);
    doc.getText("t").insert(doc.getText("t").length, word);
    await storage.docs.append(ROOM, Y.encodeStateAsUpdate(doc, before));
  }
  if (!hasFencing(storage)) throw new Error("a PostgreSQL storage has fencing");
  const fence = (await storage.heldFence(ROOM))!;
  // Entries at the keys the next two snapshots take (seq 3 and 4 of the fence), and the ack record to match them.
  const empty = Buffer.from(Y.encodeStateAsUpdate(new Y.Doc()));
  await query(url, "INSERT INTO doc_updates (doc, fence, seq, update) SELECT $1, $2, s, $3 FROM generate_series(3, 4) AS s", [ROOM, fence, empty]);
  await query(url, "UPDATE doc_acks SET seq = 4, updates = updates + 2, bytes = bytes + $2 WHERE doc = $1", [ROOM, 2 * empty.byteLength]);

  await storage.docs.compact(ROOM);
  await storage.docs.compact(ROOM);

  expect(textOf(await storage.docs.load(ROOM))).toBe("alpha beta gamma");
  expect((await storage.docs.stats(ROOM)).updates).toBe(5); // nothing replaced
  // Before: no warning at all.
  const told = warnings.filter((warning) => warning.doc === ROOM);
  expect(told).toHaveLength(1);
  expect(told[0]).toMatchObject({ code: "ERR_STORAGE_WRITE", level: "error" });
  expect(told[0]!.message).toContain(`Compacting document "${ROOM}"`);
  expect(told[0]!.message).toContain(`the key (${fence}:3)`);
  expect(told[0]!.message).toMatch(/Stop that writer, then restart this server/);
});
