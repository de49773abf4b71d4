/**
 * `room.storage.list()` of a party on a real server storing in PostgreSQL, over a room larger than one read (values of
 * Durable Objects' largest size, 128 KiB, and more keys than a statement scans): read in bounded pieces, in one
 * snapshot (persistence/pg/bounded-read.ts), it answers as a server in memory does, for every kind of option; and a
 * write racing a long list through another request is in its answer whole or not at all.
 */
import { afterAll, afterEach, expect, test } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { freshDatabase } from "./postgres-helpers.js";

afterEach(cleanupAll);
afterAll(stopAllEngines);

/** POST {put, del}: writes; GET ?options=: each listed key with its value's length and first character. */
class Lister implements Party.Server {
  constructor(readonly room: Party.Room) {}
  async onRequest(req: Party.Request) {
    if (req.method === "POST") {
      const { put, del } = (await req.json()) as { put?: Record<string, string>; del?: string[] };
      if (put) await this.room.storage.put(put);
      if (del) await this.room.storage.delete(del);
      return new Response("stored");
    }
    const options = JSON.parse(new URL(req.url).searchParams.get("options") ?? "{}") as Party.StorageListOptions;
    const listed = await this.room.storage.list<string>(options);
    return Response.json([...listed].map(([key, value]) => `${key}=${value.length}:${value[0]}`));
  }
}

/** Keys that sort oddly, each holding a value just under 128 KiB as stored. */
const LARGE = ["", "a", "a\u0000", "ab", "b", "\u00ff", "\uffff", "\u{1f600}", "\u{10ffff}", "z"];
const SMALL = Array.from({ length: 1_100 }, (_, i) => `m${String(i).padStart(4, "0")}`);
const CASES: Party.StorageListOptions[] = [
  {},
  { reverse: true },
  { limit: 1 },
  { limit: 1_000 },
  { limit: 1_001, reverse: true },
  { start: "a", end: "m0500" },
  { startAfter: "a", limit: 7 },
  { startAfter: "m1000", reverse: true },
  { prefix: "a" },
  { prefix: "\uffff", reverse: true },
  { prefix: "m09", reverse: true, limit: 50 },
  { start: "\u{1f600}" },
  { end: "\u00ff", reverse: true, limit: 3 },
];

async function filled(url: string): Promise<void> {
  const post = (body: unknown) => fetch(`${url}/parties/main/big`, { method: "POST", body: JSON.stringify(body) });
  const large = Object.fromEntries(LARGE.map((key, i) => [key, String.fromCharCode(97 + i).repeat(60_000)]));
  expect((await post({ put: large })).status).toBe(200);
  for (let from = 0; from < SMALL.length; from += 100) {
    expect((await post({ put: Object.fromEntries(SMALL.slice(from, from + 100).map((key) => [key, key])) })).status).toBe(200);
  }
  expect((await post({ del: ["m0003", "b"] })).status).toBe(200);
}

async function listings(url: string): Promise<string[][]> {
  const answers: string[][] = [];
  for (const options of CASES) {
    const res = await fetch(`${url}/parties/main/big?options=${encodeURIComponent(JSON.stringify(options))}`);
    expect(res.status, JSON.stringify(options)).toBe(200);
    answers.push((await res.json()) as string[]);
  }
  return answers;
}

test("a room of 1,100 keys and 10 of 120 KB, listed through a server on PostgreSQL: as on a server in memory", { timeout: 90_000 }, async () => {
  const memory = await startServer({ main: Lister }, { storage: "memory" });
  const postgres = await startServer({ main: Lister }, { store: (await freshDatabase()).url });
  await Promise.all([filled(memory.url), filled(postgres.url)]);
  const [expected, got] = await Promise.all([listings(memory.url), listings(postgres.url)]);
  CASES.forEach((options, i) => expect(got[i], JSON.stringify(options)).toEqual(expected[i]));
  expect(expected[0]).toHaveLength(LARGE.length + SMALL.length - 2);
});

test("writes racing long lists through other requests: each list holds a write whole or not at all", { timeout: 90_000 }, async () => {
  const postgres = await startServer({ main: Lister }, { store: (await freshDatabase()).url });
  await filled(postgres.url);
  // The first and the last key, written together by one put (a round's), while a list reads its pieces.
  const both = (round: number) => ({ "": String(round).repeat(60_000), "\u{10ffff}": String(round).repeat(60_000) });
  const put = (round: number) => fetch(`${postgres.url}/parties/main/big`, { method: "POST", body: JSON.stringify({ put: both(round) }) });
  expect((await put(0)).status).toBe(200);
  for (let round = 1; round <= 5; round++) {
    const [listed, written] = await Promise.all([fetch(`${postgres.url}/parties/main/big`).then((res) => res.json() as Promise<string[]>), put(round)]);
    expect(written.status).toBe(200);
    const first = listed[0]!;
    const last = listed.find((entry) => entry.startsWith("\u{10ffff}="))!;
    expect(first.slice(first.indexOf(":"))).toBe(last.slice(last.indexOf(":")));
  }
});
