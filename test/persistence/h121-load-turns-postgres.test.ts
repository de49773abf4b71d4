/**
 * Many documents loaded at once from PostgreSQL (a node taking over a dead node's rooms) must not hold the event loop:
 * `pg` parses, in the turn they arrive, all the rows its connections received (its protocol parser, and the hex text
 * of `bytea`: twice the bytes). Before the loads were bounded (persistence/pg/log-read.ts), ten connections' answers
 * of 2 MB logs arrived together, some 20 MB of them in one turn (measured here), and that turn took 40–260 ms on 2
 * loaded cores, delaying lease renewals and every other room. What a turn receives is what it parses, so it is
 * counted here rather than timed: the time of a turn varies too much on a shared machine to tell the two apart
 * (after the fix, 4–60 ms; the rest is the merge's own pieces and the other processes).
 */
import { afterAll, afterEach, expect, test, vi } from "vitest";
import * as Y from "yjs";
import { openStorage } from "../../persistence/index.js";
import { READ_CHUNK_BYTES as LOG_CHUNK_BYTES, READERS_AT_ONCE as LOG_READERS_AT_ONCE } from "../../persistence/pg/bounded-read.js";
import { stopAllEngines } from "../helpers/engines.js";
import { bytesPerTurn, freshDatabase, repeatedLogDocuments } from "./postgres-helpers.js";

afterAll(stopAllEngines);
afterEach(() => vi.restoreAllMocks());

const ROOMS = 30;
const ENTRIES = 80;
const ENTRY_BYTES = 25_000;
/** A turn parses at most this many chunks of hex text (an entry past the chunk's bytes included), and the protocol's framing. */
const TURN_BOUND = LOG_READERS_AT_ONCE * (LOG_CHUNK_BYTES + ENTRY_BYTES) * 2 * 1.25;

/** Loads `main/big-{0…rooms-1}` at once; resolves with the most bytes a turn received from PostgreSQL meanwhile. */
async function loadAll(url: string, texts: string[]): Promise<number> {
  const received = bytesPerTurn();
  const storage = await openStorage({ url, onWarning: () => undefined });
  try {
    const loaded = await Promise.all(texts.map((_, i) => storage.docs.load(`main/big-${i}`)));
    received.stop();
    loaded.forEach((update, i) => {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, update!);
      expect(doc.getText("t").toString(), `main/big-${i}`).toBe(texts[i]);
    });
    return received.worst();
  } finally {
    received.stop();
    await storage.close();
  }
}

test(`${ROOMS} documents of ${(ENTRIES * ENTRY_BYTES) / 1e6} MB logs loaded at once: each loads whole, and no turn receives more than ${(TURN_BOUND / 1e6).toFixed(1)} MB from PostgreSQL`, async () => {
  const { url } = await freshDatabase();
  const worst = await loadAll(url, await repeatedLogDocuments(url, ROOMS, ENTRIES, ENTRY_BYTES));
  // Before: some 20 MB in one turn.
  expect(worst).toBeGreaterThan(ENTRY_BYTES);
  expect(worst).toBeLessThan(TURN_BOUND);
}, 120_000);

test(`${ROOMS} compacted documents (a log of one 2 MB entry each) loaded at once: each loads whole, and no turn receives more than ${(TURN_BOUND / 1e6).toFixed(1)} MB`, async () => {
  const { url } = await freshDatabase();
  const worst = await loadAll(url, await repeatedLogDocuments(url, ROOMS, 1, ENTRIES * ENTRY_BYTES));
  // Before (an entry read whole, however large): 4 MB in one turn.
  expect(worst).toBeLessThan(TURN_BOUND);
}, 120_000);
