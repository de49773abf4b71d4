/**
 * `room.storage.list()` against the same random puts, deletes and clears on every engine: memory (the reference),
 * LevelDB and PostgreSQL, whose list reads in bounded pieces (persistence/pg/bounded-read.ts: 256 KiB a statement,
 * 1,000 rows a scan, values past a piece in slices). Keys that sort oddly (the empty key, U+FFFF, an astral character
 * after it, lone surrogates), values at the piece's edges, and options of every kind (prefix, start/startAfter, end,
 * limit at the pieces' row counts, reverse): every answer is the same on all three.
 */
import { serialize } from "node:v8";
import { afterAll, afterEach, expect, test, vi } from "vitest";
import type { KvStore, ListOptions } from "../../persistence/index.js";
import { BoundedReads, READ_CHUNK_BYTES } from "../../persistence/pg/bounded-read.js";
import { stopAllEngines } from "../helpers/engines.js";
import { seededRandom } from "../helpers/seeded-random.js";
import { levelFactory, memoryFactory, type StorageUnderTest } from "./helpers.js";
import { postgresFactory } from "./postgres-helpers.js";

const opened: StorageUnderTest[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((under) => under.dispose()));
});
afterAll(stopAllEngines);

const KEYS = [
  "",
  "\u0000",
  "a",
  "a\u0000",
  "ab",
  "b",
  "b/c",
  "\u00ff",
  "\u07ff",
  "\ud7ff",
  "\ue000",
  "\uffff",
  "\uffff\uffff",
  "\u{1f600}",
  "\u{10ffff}",
  "\ud800",
  "\udfff",
  "\udfff\udfff",
  "\u00ff\u0100",
  "z\ud800x",
];
const PREFIXES = ["", "a", "b", "\u00ff", "\uffff", "\u{1f600}", "\ud83d", "\ud800", "\udfff", "z", "q"];

/** A Uint8Array whose stored (serialized) bytes are exactly `bytes` (or as near as the header lets). */
function valueOfStored(bytes: number, fill: number): Uint8Array {
  let n = bytes;
  while (n > 0 && serialize(new Uint8Array(n)).byteLength > bytes) n--;
  return new Uint8Array(n).fill(fill);
}

/** Stored sizes around the pieces' edges: a chunk exactly (a value, or a value and a key of 1–2 units), one byte over. */
const SIZES = [0, 1, 100, 5_000, 60_000, READ_CHUNK_BYTES - 4, READ_CHUNK_BYTES - 2, READ_CHUNK_BYTES, READ_CHUNK_BYTES + 1, 2 * READ_CHUNK_BYTES + 7];

function randomOptions(random: () => number, keys: readonly string[]): ListOptions {
  const pick = <T>(from: readonly T[]): T => from[Math.floor(random() * from.length)]!;
  const options: ListOptions = {};
  if (random() < 0.3) options.prefix = pick(PREFIXES);
  const bound = () => (random() < 0.7 && keys.length > 0 ? pick(keys) : pick(KEYS));
  const from = random();
  if (from < 0.25) options.start = bound();
  else if (from < 0.5) options.startAfter = bound();
  if (random() < 0.25) options.end = bound();
  if (random() < 0.4) options.limit = pick([0, 1, 2, 3, 5, 999, 1_000, 1_001, 1_500]);
  if (random() < 0.5) options.reverse = true;
  return options;
}

/** What a list answered, comparable: each key with its value's length and first byte. */
async function answer(store: KvStore, options: ListOptions): Promise<string[]> {
  const listed = await store.list(options);
  return [...listed].map(([key, value]) => {
    const bytes = value instanceof Uint8Array ? value : new Uint8Array(0);
    return `${JSON.stringify(key)}=${typeof value === "number" ? value : `${bytes.byteLength}:${bytes[0] ?? "-"}`}`;
  });
}

test.each([133, 7])("random puts, deletes and lists (seed %i): PostgreSQL's and LevelDB's lists answer as memory's", { timeout: 120_000 }, async (seed) => {
  const engines = await Promise.all([memoryFactory(), levelFactory()(), postgresFactory()()]);
  opened.push(...engines);
  const stores = engines.map((under) => under.storage.kv("main/oracle"));
  const random = seededRandom(seed);
  const pick = <T>(from: readonly T[]): T => from[Math.floor(random() * from.length)]!;
  const known = new Set<string>();
  const snapshots = vi.spyOn(BoundedReads.prototype, "inSnapshot");
  for (let step = 0; step < 300; step++) {
    const roll = random();
    if (roll < 0.35) {
      const entries: Record<string, Uint8Array> = {};
      for (let i = 1 + Math.floor(random() * 3); i > 0; i--) {
        const key = pick(KEYS);
        entries[key] = valueOfStored(pick(SIZES), step % 251);
        known.add(key);
      }
      await Promise.all(stores.map((store) => store.put(entries)));
    } else if (roll < 0.45) {
      const key = pick(KEYS);
      await Promise.all(stores.map((store) => store.delete(key)));
    } else if (roll < 0.48) {
      // Many small rows, past a scan's 1,000.
      const many = Object.fromEntries(Array.from({ length: 1_200 }, (_, i) => [`m${String(i).padStart(4, "0")}`, i]));
      await Promise.all(stores.map((store) => store.put(many)));
    } else if (roll < 0.5) {
      await Promise.all(stores.map((store) => store.deleteAll()));
    } else {
      const options = randomOptions(random, [...known]);
      const [expected, ...others] = await Promise.all(stores.map((store) => answer(store, options)));
      others.forEach((got, i) => expect(got, `step ${step}, ${i === 0 ? "LevelDB" : "PostgreSQL"}, ${JSON.stringify(options)}`).toEqual(expected));
    }
  }
  // PostgreSQL's lists went past one statement (a snapshot read in pieces) many times.
  expect(snapshots.mock.calls.length).toBeGreaterThan(20);
});
