/**
 * Values past what `pg` can send or receive as text. `pg` sends an array of `bytea` as hex text and receives a `bytea`
 * column as hex text, twice the bytes, in one JavaScript string of at most 2^29 characters: a document's snapshot of
 * more than ~256 MiB (a compaction of a room whose `limits.maxDocumentBytes` was raised, or one at the default's edge)
 * failed as `pg` built the statement, so the document's log could never be compacted, and a room.storage value that
 * large could be neither put nor got. A value past a statement's share is now sent alone, as a binary parameter, and a
 * value larger than a read's chunk is got in slices, as loads and lists read it.
 */
import { afterAll, afterEach, expect, test } from "vitest";
import * as Y from "yjs";
import { openStorage, type Storage } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase, query } from "./postgres-helpers.js";

const opened: Storage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

/** Past 2^28 bytes: as hex, more characters than a JavaScript string holds. */
const BYTES = 280_000_000;

/** `bytes` characters that PostgreSQL's compression cannot shrink to nothing: a random 1 MB block, repeated. */
function bigText(bytes: number): string {
  const block = Array.from({ length: 1_000_000 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join("");
  return block.repeat(Math.ceil(bytes / block.length)).slice(0, bytes);
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.byteLength === b.byteLength && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

test(`a document of ${BYTES / 1e6} MB is compacted on PostgreSQL and loads back whole after a restart`, { timeout: 300_000 }, async () => {
  const { url } = await freshDatabase();
  const storage = await openStorage({ url, onWarning: () => undefined });
  opened.push(storage);
  const doc = new Y.Doc();
  doc.getText("t").insert(0, bigText(BYTES));
  const state = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  await storage.docs.append("main/big", Y.encodeStateAsUpdate(new Y.Doc()));
  // A live room's compaction: its state replaces the log (before: rejected as `pg` built the statement).
  await storage.docs.compact("main/big", state);
  await storage.close();

  const [row] = await query(url, "SELECT count(*)::int AS entries, max(length(update))::bigint AS largest FROM doc_updates");
  expect({ entries: row!.entries, largest: Number(row!.largest) }).toEqual({ entries: 1, largest: state.byteLength });
  const restarted = await openStorage({ url, onWarning: () => undefined });
  opened.push(restarted);
  const loaded = await restarted.docs.load("main/big");
  expect(loaded && sameBytes(loaded, state)).toBe(true);
});

test(`a room.storage value of ${BYTES / 1e6} MB is put and got back on PostgreSQL`, { timeout: 300_000 }, async () => {
  const { url } = await freshDatabase();
  const storage = await openStorage({ url, onWarning: () => undefined });
  opened.push(storage);
  const value = new TextEncoder().encode(bigText(BYTES));
  const store = storage.kv("main/big");
  // Before: rejected as `pg` built the statement.
  await store.put("state", value);
  await store.put("small", "beside it");
  await storage.close();

  const restarted = await openStorage({ url, onWarning: () => undefined });
  opened.push(restarted);
  const again = restarted.kv("main/big");
  // Before: the value arrived as more hex text than a string holds, and the read failed.
  const got = (await again.get("state")) as Uint8Array;
  expect(got.byteLength).toBe(BYTES);
  expect(sameBytes(got, value)).toBe(true);
  expect(await again.get("small")).toBe("beside it");
  expect(await again.get("missing")).toBeUndefined();
});
