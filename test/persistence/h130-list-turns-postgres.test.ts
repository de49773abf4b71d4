/**
 * `room.storage.list()` on PostgreSQL was one unbounded statement: rooms of many or large entries listing at once (a
 * node taking over rooms whose onStart lists their storage) had every connection's answer parsed by `pg` in the turns
 * it arrived in, as loads of logs did before h121 (test/persistence/h121-load-turns-postgres.test.ts, whose way of
 * counting this follows: bytes received per turn, not time). A list is now read as logs are
 * (persistence/pg/bounded-read.ts): 256 KiB a statement, at most 2 reads at once per storage, a longer answer in one
 * read-only snapshot. Its answer is as before: order, limit, start/end/prefix, reverse, across pieces, and a write
 * landing between two pieces is in the answer whole or not at all.
 */
import { serialize } from "node:v8";
import pg from "pg";
import { afterAll, afterEach, expect, test, vi } from "vitest";
import { openStorage, type KvStore, type Storage } from "../../persistence/index.js";
import { encodeKey } from "../../persistence/kv-codec.js";
import { READ_CHUNK_BYTES, READERS_AT_ONCE } from "../../persistence/pg/bounded-read.js";
import { stopAllEngines } from "../helpers/engines.js";
import { bytesPerTurn, freshDatabase, query } from "./postgres-helpers.js";

const opened: Storage[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

const ROOMS = 12;
const ENTRIES = 300;
const VALUE_CHARS = 5_000;
/** A turn parses at most this many chunks of hex text (an entry past the chunk's bytes included), and the protocol's framing. */
const TURN_BOUND = READERS_AT_ONCE * (READ_CHUNK_BYTES + VALUE_CHARS) * 2 * 1.25;

async function open(url: string): Promise<Storage> {
  const storage = await openStorage({ url, onWarning: () => undefined });
  opened.push(storage);
  return storage;
}

const upsert = "ON CONFLICT (room, key) DO UPDATE SET value = EXCLUDED.value";
const keyOf = (i: number): string => `k${String(i).padStart(4, "0")}`;
const stored = (room: number, i: number): string => `${room}:${i}:`.padEnd(VALUE_CHARS, String.fromCharCode(97 + (i % 26)));

/** `ENTRIES` entries of `VALUE_CHARS` in each of `rooms` rooms, put in batches (the writes are not under test). */
async function fill(storage: Storage, rooms: number): Promise<KvStore[]> {
  const stores = Array.from({ length: rooms }, (_, room) => storage.kv(`main/list-${room}`));
  await Promise.all(
    stores.map(async (store, room) => {
      for (let from = 0; from < ENTRIES; from += 100) {
        await store.put(Object.fromEntries(Array.from({ length: 100 }, (_, j) => [keyOf(from + j), stored(room, from + j)])));
      }
    }),
  );
  return stores;
}

test(`${ROOMS} rooms of ${(ENTRIES * VALUE_CHARS) / 1e6} MB listed at once: each lists whole, and no turn receives more than ${(TURN_BOUND / 1e6).toFixed(1)} MB`, {
  timeout: 120_000,
}, async () => {
  const { url } = await freshDatabase();
  const filling = await open(url);
  await fill(filling, ROOMS);
  await filling.close();
  const received = bytesPerTurn();
  const storage = await open(url); // its connections counted
  try {
    const lists = await Promise.all(Array.from({ length: ROOMS }, (_, room) => storage.kv(`main/list-${room}`).list<string>()));
    received.stop();
    lists.forEach((list, room) => {
      expect([...list.keys()], `main/list-${room}`).toEqual(Array.from({ length: ENTRIES }, (_, i) => keyOf(i)));
      expect(list.get(keyOf(ENTRIES - 1))).toBe(stored(room, ENTRIES - 1));
    });
  } finally {
    received.stop();
  }
  // Before: the whole answers of up to ten connections, some 9 MB, in one turn.
  expect(received.worst()).toBeGreaterThan(VALUE_CHARS);
  expect(received.worst()).toBeLessThan(TURN_BOUND);
});

test("list's answer read in pieces: order, limit, start/end/prefix and reverse as on one statement", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const storage = await open(url);
  const [store] = await fill(storage, 1);
  const all = Array.from({ length: ENTRIES }, (_, i) => keyOf(i));
  const keys = async (options: Parameters<KvStore["list"]>[0]) => [...(await store!.list(options)).keys()];
  expect(await keys({})).toEqual(all);
  expect(await keys({ reverse: true })).toEqual([...all].reverse());
  expect(await keys({ limit: 250 })).toEqual(all.slice(0, 250));
  expect(await keys({ limit: 250, reverse: true })).toEqual([...all].reverse().slice(0, 250));
  expect(await keys({ start: keyOf(20), end: keyOf(280) })).toEqual(all.slice(20, 280));
  expect(await keys({ startAfter: keyOf(20), end: keyOf(280), reverse: true, limit: 200 })).toEqual(all.slice(21, 280).reverse().slice(0, 200));
  expect(await keys({ prefix: "k01" })).toEqual(all.slice(100, 200));
  expect(await keys({ prefix: "k01", reverse: true, limit: 70 })).toEqual(all.slice(100, 200).reverse().slice(0, 70));
  const values = await store!.list<string>({ start: keyOf(100), limit: 120 });
  expect([...values]).toEqual(all.slice(100, 220).map((key, i) => [key, stored(0, 100 + i)]));
  // More rows than a statement looks at (1,000), small ones.
  const many = storage.kv("main/many");
  const manyKeys = Array.from({ length: 2_500 }, (_, i) => `m${String(i).padStart(5, "0")}`);
  await many.put(Object.fromEntries(manyKeys.map((key) => [key, 1])));
  expect([...(await many.list()).keys()]).toEqual(manyKeys);
  expect([...(await many.list({ reverse: true, limit: 2_200 })).keys()]).toEqual([...manyKeys].reverse().slice(0, 2_200));
  expect([...(await many.list({ startAfter: manyKeys[999], limit: 1_001 })).keys()]).toEqual(manyKeys.slice(1_000, 2_001));
  // A value larger than a piece comes whole (read in slices).
  const large = "x".repeat(3 * READ_CHUNK_BYTES);
  await store!.put(keyOf(150), large);
  expect((await store!.list<string>({ start: keyOf(149), limit: 3 })).get(keyOf(150))).toBe(large);
});

test("a write landing between two pieces of a list: in its answer whole or not at all, in the next", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const storage = await open(url);
  const [store] = await fill(storage, 1);
  let pieces = 0;
  let ran = false;
  const send = pg.Client.prototype.query;
  vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const sent = (send as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    if (typeof args[0] !== "string" || !args[0].startsWith("SELECT key, CASE WHEN bytes") || ++pieces !== 3) return sent;
    return sent.then(async (result) => {
      // Overwrites a key read already and one still to read, in one commit (another node's, which the room's own
      // reads do not wait for).
      await query(url, `INSERT INTO room_kv (room, key, value) SELECT 'main/list-0', k, $2 FROM unnest($1::bytea[]) AS k ${upsert}`, [
        [encodeKey(keyOf(0)), encodeKey(keyOf(ENTRIES - 1))],
        serialize("late"),
      ]);
      ran = true;
      return result;
    });
  } as never);
  const list = await store!.list<string>();
  expect(ran).toBe(true);
  vi.restoreAllMocks();
  expect([list.get(keyOf(0)), list.get(keyOf(ENTRIES - 1))]).toEqual([stored(0, 0), stored(0, ENTRIES - 1)]);
  const next = await store!.list<string>();
  expect([next.get(keyOf(0)), next.get(keyOf(ENTRIES - 1))]).toEqual(["late", "late"]);
});
