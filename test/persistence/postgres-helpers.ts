/**
 * PostgreSQL for the persistence tests: one throwaway server per test file (test/helpers/engines.ts), and a schema per
 * storage under test, so tests start from empty tables without paying for a server or a database each.
 */
import net from "node:net";
import { serialize } from "node:v8";
import pg from "pg";
import { expect, vi } from "vitest";
import * as Y from "yjs";
import { openStorage, type PostgresStorageOptions, type Storage, type StorageWarning } from "../../persistence/index.js";
import { encodeString, serializeValue } from "../../persistence/kv-codec.js";
import { startPostgres, type Engine } from "../helpers/engines.js";
import type { StorageFactory } from "./helpers.js";

let engine: Promise<Engine> | undefined;
let schemas = 0;

/** This file's PostgreSQL, started at first use; stop it with `stopAllEngines` in `afterAll`. */
export function postgres(): Promise<Engine> {
  engine ??= startPostgres();
  return engine;
}

/** A fresh schema on this file's PostgreSQL, and the URL whose connections use it. */
export async function freshDatabase(): Promise<{ url: string; schema: string; engine: Engine }> {
  const server = await postgres();
  const schema = `t${++schemas}_${process.pid}`;
  await query(server.url, `CREATE SCHEMA ${schema}`);
  return { url: `${server.url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, schema, engine: server };
}

/** Runs one statement on its own connection. */
export async function query(url: string, text: string, values: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * A fresh database as an older yparty left it (schema 1): `rows` of room.storage, keys in plain UTF-16 BE, each value
 * its key serialized. `msPerDeletedRow`: every row a statement deletes costs that much more (a trigger), as on a table
 * far larger than the test's.
 */
export async function schemaOneDatabase(rows: ReadonlyArray<{ room: string; key: string }>, msPerDeletedRow = 0): Promise<string> {
  const { url } = await freshDatabase();
  await (await openStorage({ url, onWarning: () => undefined })).close();
  await query(url, "UPDATE yparty_schema SET version = 1");
  await query(url, "INSERT INTO room_kv (room, key, value) SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[])", [
    rows.map((row) => row.room),
    rows.map((row) => encodeString(row.key)),
    rows.map((row) => serialize(row.key)),
  ]);
  if (msPerDeletedRow === 0) return url;
  await query(
    url,
    `CREATE FUNCTION slow_deletes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep((SELECT count(*) FROM gone) * ${msPerDeletedRow / 1000}); RETURN NULL; END $$`,
  );
  await query(url, "CREATE TRIGGER slow_deletes AFTER DELETE ON room_kv REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION slow_deletes()");
  return url;
}

/** A PostgreSQL storage in a fresh schema; warnings go to `warnings` when given. */
export function postgresFactory(options: Partial<PostgresStorageOptions> = {}, warnings?: StorageWarning[]): StorageFactory {
  return async () => {
    const { url } = await freshDatabase();
    const storage = await openStorage({ ...options, url, onWarning: (w) => warnings?.push(w) });
    return { storage, dispose: () => storage.close() };
  };
}

/**
 * `rooms` documents `main/big-{i}` written straight into the tables (no commits to wait for), each a log of `entries`
 * copies of one insert of `entryBytes` characters into text "t" (as an append retried after a lost connection is
 * stored: a document of one entry's size, a log of all of them). Resolves with each document's text.
 */
export async function repeatedLogDocuments(url: string, rooms: number, entries: number, entryBytes: number): Promise<string[]> {
  await (await openStorage({ url, onWarning: () => undefined })).close(); // the tables
  const texts: string[] = [];
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (let room = 0; room < rooms; room++) {
      const doc = new Y.Doc();
      doc.getText("t").insert(0, String.fromCharCode(97 + (room % 26)).repeat(entryBytes));
      const update = Buffer.from(Y.encodeStateAsUpdate(doc));
      const name = `main/big-${room}`;
      await client.query("INSERT INTO doc_updates (doc, fence, seq, update) SELECT $1, 1, s, $2 FROM generate_series(0, $3 - 1) AS s", [name, update, entries]);
      await client.query("INSERT INTO doc_acks (doc, fence, seq, updates, bytes) VALUES ($1, 1, $2, $3, $4)", [
        name,
        entries - 1,
        entries,
        entries * update.byteLength,
      ]);
      texts.push(doc.getText("t").toString());
    }
  } finally {
    await client.end();
  }
  return texts;
}

/**
 * A transaction holding `room`'s fence row (FOR UPDATE), as a claim of it does: a commit of that room's writes waits on
 * it, in flight, and the writes called after it wait their turn. `waited` resolves once a statement waits for it.
 */
export async function holdRoomRow(url: string, room: string): Promise<{ waited(): Promise<void>; release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("BEGIN");
  await client.query("SELECT 1 FROM rooms WHERE name = $1 FOR UPDATE", [room]);
  const pid = (client as unknown as { processID: number }).processID;
  return {
    async waited() {
      const deadline = performance.now() + 10_000;
      while (performance.now() < deadline) {
        if ((await client.query("SELECT 1 FROM pg_locks WHERE NOT granted AND $1 = ANY(pg_blocking_pids(pid))", [pid])).rows.length > 0) return;
        await new Promise((resolve) => setImmediate(resolve));
      }
      throw new Error(`no statement waited for the row of ${room}`);
    },
    release: () =>
      client
        .query("COMMIT")
        .finally(() => client.end())
        .then(() => undefined),
  };
}

/** Counts the bytes every PostgreSQL connection opened from now on receives in each turn of the event loop. */
export function bytesPerTurn(): { worst(): number; stop(): void } {
  let turn = 0;
  let worst = 0;
  let counting = true;
  const nextTurn = () => {
    turn = 0;
    if (counting) setImmediate(nextTurn);
  };
  setImmediate(nextTurn);
  const connect = net.Socket.prototype.connect;
  vi.spyOn(net.Socket.prototype, "connect").mockImplementation(function (this: net.Socket, ...args: unknown[]) {
    this.on("data", (data: Buffer) => {
      turn += data.byteLength;
      worst = Math.max(worst, turn);
    });
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  });
  return {
    worst: () => worst,
    stop: () => {
      counting = false;
    },
  };
}

/**
 * A schema-1 database whose room `main/big` holds `rows` keys to re-key (from U+E000 up), each value a string of `chars`
 * "x" (PostgreSQL stores it compressed: quick to set up); `check(storage)` asserts, once migrated, that they are all there whole.
 */
export async function largeValuesToRekey(rows: number, chars: number): Promise<{ url: string; check(storage: Storage): Promise<void> }> {
  const keys = Array.from({ length: rows }, (_, i) => `\uE000${i}`);
  const url = await schemaOneDatabase(keys.map((key) => ({ room: "main/big", key })));
  const whole = serializeValue("k", "x".repeat(chars));
  const header = Buffer.from(whole.subarray(0, whole.byteLength - chars));
  await query(url, "UPDATE room_kv SET value = $1::bytea || convert_to(repeat('x', $2::int), 'SQL_ASCII')", [header, chars]);
  return {
    url,
    check: async (storage) => {
      expect(await query(url, "SELECT version FROM yparty_schema")).toEqual([{ version: 2 }]);
      const store = storage.kv("main/big");
      for (const key of [keys[0]!, keys[rows - 1]!]) expect(await store.get<string>(key)).toBe("x".repeat(chars));
      expect(await query(url, "SELECT count(*)::int AS n, min(length(value))::int AS least FROM room_kv")).toEqual([{ n: rows, least: whole.byteLength }]);
    },
  };
}
