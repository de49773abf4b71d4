/**
 * A database restored in part — `doc_updates`/`doc_acks` without `rooms`, or `rooms` from an older backup than the log —
 * holds log entries under fences the `rooms` table no longer knows. The next claim of such a room handed out a fence
 * already used: its writes took keys `(doc, fence, seq)` of entries already stored, and the insert (`ON CONFLICT DO
 * NOTHING`, so that a retried batch counts once) skipped them silently. A compaction after the load then deleted every
 * entry it replaced — the whole document — and an append after it was acknowledged yet never stored. A claim now hands
 * out a fence past every fence the room's log and ack record carry (persistence/pg/claims.ts). Oracle: the document's
 * text after a restart of the storage.
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

const ROOM = "main/restored";

async function open(url: string, compactOnLoadAbove = 500): Promise<Storage> {
  const storage = await openStorage({ url, compactOnLoadAbove, onWarning: () => undefined });
  opened.push(storage);
  return storage;
}

async function closed(storage: Storage): Promise<void> {
  opened.splice(opened.indexOf(storage), 1);
  await storage.close();
}

const textOf = (update: Uint8Array | null): string => {
  const doc = new Y.Doc();
  if (update) Y.applyUpdate(doc, update);
  return doc.getText("t").toString();
};

/** Writes `words` into the room's text, one append each, as a room's edits are stored; resolves with the text. */
async function written(storage: Storage, doc: Y.Doc, words: readonly string[]): Promise<string> {
  for (const word of words) {
    const before = Y.encodeStateVector(doc);
    doc.getText("t").insert(doc.getText("t").length, word);
    await storage.docs.append(ROOM, Y.encodeStateAsUpdate(doc, before));
  }
  return doc.getText("t").toString();
}

/** The room's text and log size as a fresh storage (a restart) finds them. */
async function afterRestart(url: string): Promise<{ text: string; updates: number }> {
  const storage = await open(url);
  const text = textOf(await storage.docs.load(ROOM));
  const { updates } = await storage.docs.stats(ROOM);
  await closed(storage);
  return { text, updates };
}

test("a log without its rooms row: the compaction after the load keeps the document, an append after it is stored", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const doc = new Y.Doc();
  const first = await open(url);
  const text = await written(first, doc, ["alpha ", "beta ", "gamma ", "delta ", "epsilon "]);
  await closed(first);
  await query(url, "DELETE FROM rooms"); // only doc_updates and doc_acks restored

  const loaded = await open(url, 2); // the load compacts (5 entries > 2)
  expect(textOf(await loaded.docs.load(ROOM))).toBe(text);
  await closed(loaded); // waits for the compaction
  // Before: the snapshot's key (1:0) was taken, its insert skipped, and the five entries deleted: an empty document.
  expect(await afterRestart(url)).toEqual({ text, updates: 1 });

  await query(url, "DELETE FROM rooms");
  const appending = await open(url);
  Y.applyUpdate(doc, (await appending.docs.load(ROOM))!);
  const more = await written(appending, doc, ["zeta"]);
  await closed(appending);
  // Before: the append's key (1:0) was the snapshot's: acknowledged, never stored.
  expect(await afterRestart(url)).toEqual({ text: more, updates: 2 });
});

test("rooms restored from an older backup than the log: no fence is handed out twice", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const doc = new Y.Doc();
  let text = "";
  for (const words of [
    ["one ", "two "],
    ["three ", "four "],
  ]) {
    const storage = await open(url); // each start claims the room anew: fences 1, then 2
    text = await written(storage, doc, words);
    await closed(storage);
  }
  await query(url, "UPDATE rooms SET fence = 1"); // as the backup taken after the first start has it

  const compacting = await open(url);
  expect(textOf(await compacting.docs.load(ROOM))).toBe(text);
  await compacting.docs.compact(ROOM); // claims: fence 2 again, before
  await closed(compacting);
  // Before: the snapshot's key (2:0) was "three"'s: skipped, and all four entries deleted.
  expect(await afterRestart(url)).toEqual({ text, updates: 1 });
  const [row] = await query(url, "SELECT fence FROM rooms");
  expect(Number(row!.fence)).toBeGreaterThan(2);
});

test("a compaction whose snapshot's key is taken deletes nothing", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const doc = new Y.Doc();
  const storage = await open(url);
  const text = await written(storage, doc, ["kept ", "whole "]);
  // Another writer's entry at the key this storage's next write takes (1:2), as a fence handed out twice leaves it.
  const other = new Y.Doc();
  other.getText("t").insert(0, "other");
  await query(url, "INSERT INTO doc_updates (doc, fence, seq, update) VALUES ($1, 1, 2, $2)", [ROOM, Buffer.from(Y.encodeStateAsUpdate(other))]);
  await query(url, "UPDATE doc_acks SET seq = 2, updates = updates + 1");
  await storage.docs.compact(ROOM);
  await closed(storage);
  // Before: the snapshot's insert was skipped and both entries it replaced deleted: only "other" was left.
  const after = await afterRestart(url);
  expect(after.updates).toBe(3);
  expect(after.text).toContain(text);
  expect(after.text).toContain("other");
});
