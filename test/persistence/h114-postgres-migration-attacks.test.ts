/**
 * Schema migration 2 (room_kv re-keyed in key-ordered chunks of at most 2,000 rows; h110) attacked from the outside
 * (h114): the migrating node's connection cut mid-migration (what a kill -9 of its process does), keys that meet at
 * chunk boundaries (one room's keys over several chunks, rooms with non-ASCII names, a key whose old bytes are another
 * key's new ones), and a node waiting for the migration with a tiny query timeout.
 */
import { afterAll, expect, it } from "vitest";
import { openStorage, StorageError, type StorageProgress } from "../../persistence/index.js";
import { encodeKey, encodeString } from "../../persistence/kv-codec.js";
import { stopAllEngines } from "../helpers/engines.js";
import { query, schemaOneDatabase } from "./postgres-helpers.js";

afterAll(stopAllEngines);

/** For each i, keys that move (U+E000 up, lone surrogates, U+FFFF, emoji) and one that does not. "\uE000…"'s new bytes are "\uD800…"'s old ones. */
const keysOf = (i: number) => [`\uE000${i}`, `\uD800${i}`, `\uFFFF${i}`, `\uDBFF\uDFFF${i}`, `\u{1F600}${i}`, `plain ${i}`];
/** One room holds most keys (it spans chunks); names that sort past ASCII beside it. */
const ROOMS = ["main/a", "main/\u00FC", "main/\u{1F600}", "main/\uFFFD"];
const PER_ROOM = [700, 150, 150, 150];

function rowsOf(): Array<{ room: string; key: string }> {
  return ROOMS.flatMap((room, r) => Array.from({ length: PER_ROOM[r]! }, (_, i) => keysOf(i).map((key) => ({ room, key }))).flat());
}

/** Every row once, under `encode` of its key. */
async function expectRows(url: string, encode: (key: string) => Buffer): Promise<void> {
  const expected = rowsOf().map((row) => `${row.room} ${encode(row.key).toString("hex")}`);
  const stored = (await query(url, "SELECT room, key FROM room_kv")).map((row) => `${row.room as string} ${(row.key as Buffer).toString("hex")}`);
  expect(stored.length).toBe(expected.length);
  expect(new Set(stored)).toEqual(new Set(expected));
}

it("the migrating node's connection cut mid-migration: its start fails, nothing changed; the next start migrates every row once", {
  timeout: 60_000,
}, async () => {
  const url = await schemaOneDatabase(rowsOf(), 0.5);
  const lines: StorageProgress[] = [];
  let cut: Promise<unknown> | undefined;
  const opening = openStorage({
    url,
    onWarning: () => undefined,
    onProgress: (line) => {
      lines.push(line);
      // Well into the moves (a progress line comes a second in): the backend holding the migration lock is ended.
      if (line.stage === "progress" && !cut) {
        cut = query(
          url,
          "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        );
      }
    },
  });
  const error = await opening.then(
    (storage) => storage.close().then(() => undefined),
    (caught: unknown) => caught,
  );
  await cut;
  expect(cut, "a progress line came").toBeDefined();
  expect(error).toBeInstanceOf(StorageError);
  // Before: "… (is PostgreSQL running there, and do the URL's user, password and database exist?)", and the process
  // died first of the client's unhandled "error" event (Connection terminated unexpectedly).
  expect((error as Error).message).toMatch(
    /: its schema migration failed \(57P01: terminating connection due to administrator command\)\. It is one transaction: it was rolled back, nothing is lost\. Start again once that is fixed/,
  );
  expect(lines.map((line) => line.stage)).not.toContain("done");
  // Rolled back: the old schema and keys, as they were.
  expect(await query(url, "SELECT version FROM yparty_schema")).toEqual([{ version: 1 }]);
  await expectRows(url, encodeString);

  const storage = await openStorage({ url, onWarning: () => undefined });
  try {
    expect(await query(url, "SELECT version FROM yparty_schema")).toEqual([{ version: 2 }]);
    await expectRows(url, encodeKey);
    // Listed in Durable Objects' order (code points), each with its own value.
    const listed = await storage.kv("main/a").list<string>();
    const keys = [...listed.keys()];
    expect(keys.length).toBe(PER_ROOM[0]! * keysOf(0).length);
    for (const [key, value] of listed) expect(value).toBe(key);
    const byCodePoint = [...keys].sort((a, b) => Buffer.compare(encodeKey(a), encodeKey(b)));
    expect(keys).toEqual(byCodePoint);
  } finally {
    await storage.close();
  }
});

it("a node with a tiny query timeout (150 ms) waiting for a slow but working migration waits it out: no ERR_STORAGE_LOCKED", { timeout: 60_000 }, async () => {
  const url = await schemaOneDatabase(rowsOf(), 0.3);
  let started!: () => void;
  const migrationStarted = new Promise<void>((resolve) => (started = resolve));
  const migrating = openStorage({ url, mode: "cluster", onWarning: () => undefined, onProgress: (line) => line.stage === "started" && started() });
  await migrationStarted;
  const waits: StorageProgress[] = [];
  const waiting = openStorage({ url, mode: "cluster", queryTimeoutMs: 150, onWarning: () => undefined, onProgress: (line) => waits.push(line) });
  const [a, b] = await Promise.all([migrating, waiting]);
  await Promise.all([a.close(), b.close()]);
  expect(waits[0]?.task).toBe("upgrade_wait");
  expect(waits.at(-1)?.stage).toBe("done");
  await expectRows(url, encodeKey);
});
