/**
 * Writes landing while a long log is read in pieces (persistence/pg/log-read.ts, h121: a log past 256 KiB is read again
 * in a read-only REPEATABLE READ transaction, a statement a piece). Oracle: every acknowledged append is in the
 * document once the writes settled, after a restart too, and the ack record agrees with the log (no
 * ERR_DOCUMENT_DAMAGED, the count of entries exact: nothing doubled).
 *  - an append committed between two pieces of a load: the load has it or not (one snapshot), the next load has it;
 *  - an append committed between two pieces of a compaction's read: the compaction neither deletes nor doubles it.
 * Held up (no change needed).
 */
import pg from "pg";
import { afterAll, afterEach, expect, test, vi } from "vitest";
import * as Y from "yjs";
import { openStorage, type Storage } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase } from "./postgres-helpers.js";

const opened: Storage[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

const DOC = "main/long";
/** 30 entries of 40 KB: five pieces. */
const ENTRIES = 30;

async function open(url: string): Promise<Storage> {
  const storage = await openStorage({ url, onWarning: () => undefined });
  opened.push(storage);
  return storage;
}

const entry = (key: string): Uint8Array => {
  const doc = new Y.Doc();
  doc.getMap("m").set(key, key.repeat(Math.ceil(40_000 / key.length)).slice(0, 40_000));
  return Y.encodeStateAsUpdate(doc);
};

const keysOf = (update: Uint8Array | null): string[] => {
  const doc = new Y.Doc();
  if (update) Y.applyUpdate(doc, update);
  return [...doc.getMap("m").keys()].sort();
};

/** Runs `between` once, after the `nth` piece of a log read in a snapshot came back (before the next is sent). */
function betweenPieces(nth: number, between: () => Promise<unknown>): { ran: () => boolean } {
  let pieces = 0;
  let ran = false;
  const send = pg.Client.prototype.query;
  vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const sent = (send as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    if (typeof args[0] !== "string" || !args[0].startsWith("SELECT fence, seq, CASE WHEN bytes") || ++pieces !== nth) return sent;
    return sent.then(async (result) => {
      await between();
      ran = true;
      return result;
    });
  } as never);
  return { ran: () => ran };
}

async function longLog(storage: Storage): Promise<string[]> {
  const keys = Array.from({ length: ENTRIES }, (_, i) => `k${String(i).padStart(2, "0")}`);
  for (const key of keys) await storage.docs.append(DOC, entry(key));
  return keys;
}

test("an append committed between two pieces of a load: in that load or not, in the next; the log exact after a restart", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const storage = await open(url);
  const keys = await longLog(storage);
  const hook = betweenPieces(2, () => storage.docs.append(DOC, entry("late")));
  const loaded = keysOf(await storage.docs.load(DOC));
  expect(hook.ran()).toBe(true);
  vi.restoreAllMocks();
  expect([keys, [...keys, "late"].sort()]).toContainEqual(loaded);
  expect(keysOf(await storage.docs.load(DOC))).toEqual([...keys, "late"].sort());
  expect((await storage.docs.stats(DOC)).updates).toBe(ENTRIES + 1);
  await storage.close();
  const restarted = await open(url);
  expect(keysOf(await restarted.docs.load(DOC))).toEqual([...keys, "late"].sort());
  expect((await restarted.docs.stats(DOC)).updates).toBe(ENTRIES + 1);
});

test("an append committed between two pieces of a compaction's read: kept once, beside the snapshot", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const storage = await open(url);
  const keys = await longLog(storage);
  const hook = betweenPieces(3, () => storage.docs.append(DOC, entry("late")));
  await storage.docs.compact(DOC);
  expect(hook.ran()).toBe(true);
  vi.restoreAllMocks();
  // The snapshot of the 30, and the append after it.
  expect((await storage.docs.stats(DOC)).updates).toBe(2);
  expect(keysOf(await storage.docs.load(DOC))).toEqual([...keys, "late"].sort());
  await storage.close();
  const restarted = await open(url);
  expect(keysOf(await restarted.docs.load(DOC))).toEqual([...keys, "late"].sort());
  expect((await restarted.docs.stats(DOC)).updates).toBe(2);
});
