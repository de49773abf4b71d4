/**
 * `room.storage.list()` orders keys as Durable Objects do: by their UTF-8 bytes (code point order), not JavaScript's
 * UTF-16 code unit order. The two differ for keys mixing U+E000–U+FFFF with astral characters: on PartyKit "😀" lists
 * after "\uFFFD"; yparty listed it before, on every engine, and bounds (start, startAfter, end) and reverse followed.
 * A PartyKit-shaped party on a real server, on memory, a LevelDB folder and PostgreSQL; and data stored by an older
 * yparty (a format-1 folder, a schema-1 database: keys in UTF-16 order) is listed in the new order once opened.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { encodeString, roomPrefix } from "../../persistence/kv-codec.js";
import type * as Party from "../../src/runtime/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { cleanupAll, startServer, type StartOptions } from "../helpers/server.js";
import { writeRaw } from "../persistence/helpers.js";
import { freshDatabase, query } from "../persistence/postgres-helpers.js";

afterEach(cleanupAll);
afterAll(stopAllEngines);

/** Stores the POSTed keys (each its own value) and answers GET with the keys `list(options)` gives, in its order. */
class Lister implements Party.Server {
  constructor(readonly room: Party.Room) {}
  async onRequest(req: Party.Request) {
    if (req.method === "POST") {
      const keys = (await req.json()) as string[];
      await this.room.storage.put(Object.fromEntries(keys.map((key) => [key, key])));
      return new Response("stored");
    }
    const options = JSON.parse(new URL(req.url).searchParams.get("options") ?? "{}") as Party.StorageListOptions;
    const listed = await this.room.storage.list<string>(options);
    for (const [key, value] of listed) if (key !== value) throw new Error(`${JSON.stringify(key)} holds ${JSON.stringify(value)}`);
    return Response.json([...listed.keys()]);
  }
}

const KEYS = ["z", "\u{1F600}", "a", "\uFFFD", "\u{10000}", "\uE000", "\uFFFF", "\uD7FF", "\uFFFD!", "\u{1F600}a"];
/** Durable Objects' order, computed independently: the keys' UTF-8 bytes. */
const utf8Order = (keys: string[]) => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));

type Options = { start?: string; startAfter?: string; end?: string; prefix?: string; reverse?: boolean; limit?: number };

/** What DO answers for `options` over KEYS. */
function expected(options: Options): string[] {
  const utf8 = (key: string) => Buffer.from(key, "utf8");
  let keys = utf8Order(KEYS).filter(
    (key) =>
      (options.start === undefined || Buffer.compare(utf8(key), utf8(options.start)) >= 0) &&
      (options.startAfter === undefined || Buffer.compare(utf8(key), utf8(options.startAfter)) > 0) &&
      (options.end === undefined || Buffer.compare(utf8(key), utf8(options.end)) < 0) &&
      (options.prefix === undefined || key.startsWith(options.prefix)),
  );
  if (options.reverse) keys = keys.reverse();
  return options.limit === undefined ? keys : keys.slice(0, options.limit);
}

const CASES: Options[] = [
  {},
  { reverse: true },
  { limit: 3 },
  { reverse: true, limit: 4 },
  { start: "\uFFFD" },
  { startAfter: "\uFFFF" },
  { end: "\u{1F600}" },
  { start: "\uE000", end: "\u{10000}" },
  { start: "\uFFFD", end: "\u{1F600}b", reverse: true, limit: 3 },
  { prefix: "\u{1F600}" },
  { prefix: "\uFFFD", reverse: true },
];

async function listings(url: string, room: string): Promise<Array<[Options, string[]]>> {
  const answers: Array<[Options, string[]]> = [];
  for (const options of CASES) {
    const res = await fetch(`${url}/parties/main/${room}?options=${encodeURIComponent(JSON.stringify(options))}`);
    expect(res.status, JSON.stringify(options)).toBe(200);
    answers.push([options, (await res.json()) as string[]]);
  }
  return answers;
}

/**
 * Two keys of an older yparty whose stored bytes swap places: "\uE000" is re-encoded as the bytes a lone "\uD800" had.
 * Both stay, each with its own value (a lone surrogate sorts after U+FFFF).
 */
const SWAPPING = ["\uD800", "\uE000"];
async function checkSwapped(url: string): Promise<void> {
  const res = await fetch(`${url}/parties/main/swapping`);
  expect(res.status).toBe(200); // Lister answers 500 when a key holds another key's value
  expect(await res.json()).toEqual(["\uE000", "\uD800"]);
}

async function checkOrder(where: StartOptions): Promise<void> {
  const { url } = await startServer({ main: Lister }, where);
  const stored = await fetch(`${url}/parties/main/keys`, { method: "POST", body: JSON.stringify(KEYS) });
  expect(stored.status).toBe(200);
  for (const [options, keys] of await listings(url, "keys")) expect(keys, JSON.stringify(options)).toEqual(expected(options));
}

describe("room.storage.list() in Durable Objects' key order (UTF-8 bytes)", () => {
  it("memory", async () => {
    await checkOrder({ storage: "memory" });
  });

  it("a LevelDB folder", async () => {
    await checkOrder({ storage: "leveldb" });
  });

  it("PostgreSQL", { timeout: 60_000 }, async () => {
    await checkOrder({ store: (await freshDatabase()).url });
  });

  it("a folder an older yparty wrote (format 1: keys in UTF-16 order) is listed in the new order once a server opened it", async () => {
    const first = await startServer({ main: Lister }, { storage: "leveldb" });
    const dir = first.dir!;
    await first.stop();
    // What the older yparty stored: each key as plain UTF-16 BE, its value kv-codec's (v8) bytes, the folder marked 1.
    const { serialize } = await import("node:v8");
    await writeRaw(dir, async (db) => {
      const kv = db.sublevel<Uint8Array, Uint8Array>("kv", { keyEncoding: "view", valueEncoding: "view" });
      const rows = [...KEYS.map((key) => ["main/old", key]), ...SWAPPING.map((key) => ["main/swapping", key])] as const;
      await kv.batch(rows.map(([room, key]) => ({ type: "put" as const, key: Buffer.concat([roomPrefix(room), encodeString(key)]), value: serialize(key) })));
      await db.put(new TextEncoder().encode("yparty:format"), new TextEncoder().encode("1"));
    });
    const { url } = await startServer({ main: Lister }, { storage: "leveldb", dir });
    for (const [options, keys] of await listings(url, "old")) expect(keys, JSON.stringify(options)).toEqual(expected(options));
    await checkSwapped(url);
  });

  it("a PostgreSQL database an older yparty wrote (schema 1: keys in UTF-16 order) is listed in the new order once opened", { timeout: 60_000 }, async () => {
    const { url: store } = await freshDatabase();
    const first = await startServer({ main: Lister }, { store });
    await first.stop();
    const { serialize } = await import("node:v8");
    // Back to what schema 1 held: the older yparty's rows, the version it wrote.
    await query(store, "UPDATE yparty_schema SET version = 1");
    const rows = [...KEYS.map((key) => ["main/old", key]), ...SWAPPING.map((key) => ["main/swapping", key])] as const;
    for (const [room, key] of rows) {
      await query(store, "INSERT INTO room_kv (room, key, value) VALUES ($1, $2, $3)", [room, encodeString(key), serialize(key)]);
    }
    const { url } = await startServer({ main: Lister }, { store });
    for (const [options, keys] of await listings(url, "old")) expect(keys, JSON.stringify(options)).toEqual(expected(options));
    await checkSwapped(url);
  });
});
