/**
 * Schema migration 2 on a large room_kv, as a cluster upgrading meets it: every statement must stay within the query
 * timeout (a single move of every row did not, on a table large enough), the nodes starting meanwhile must wait for it
 * however long it takes (a plain lock wait counted against their query timeout), and both say what they do: the
 * migrating node how far it is, the others that they wait. A lock holder that stopped working fails the start saying
 * what to do, not with a bare "Query read timeout".
 */
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openStorage, StorageError } from "../../persistence/index.js";
import { encodeKey } from "../../persistence/kv-codec.js";
import { runCli, tempDir } from "../cli/helpers.js";
import { stopAllEngines } from "../helpers/engines.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { freshDatabase, query, schemaOneDatabase } from "./postgres-helpers.js";

afterEach(cleanupAll);
afterAll(stopAllEngines);

const ROWS = 40_000;
/** Three keys of four move (U+E000 up, lone surrogates, emoji): 30,000 rows. */
const keyOf = (i: number) => [`\uE000${i}`, `plain ${i}`, `\uD800${i}`, `\u{1F600}${i}`][i % 4]!;
const QUERY_TIMEOUT_MS = 1_500;

/**
 * A database as an older yparty left it (schema 1, `rows` rows). `slowDeletes`: every row a statement deletes costs
 * 0.1 ms more (a trigger), as on a table some hundred times larger: deleting `ROWS`' 30,000 moving rows in one statement
 * takes over 3 s, twice the query timeout.
 */
const schemaOne = (rows: number, slowDeletes: boolean): Promise<string> =>
  schemaOneDatabase(
    Array.from({ length: rows }, (_, i) => ({ room: `main/r${i % 100}`, key: keyOf(i) })),
    slowDeletes ? 0.1 : 0,
  );

const events = (logs: Array<{ event: string }>) => logs.map((entry) => entry.event).filter((event) => event.startsWith("storage.upgrade"));

describe("PostgreSQL schema 1 to 2 on a large table", () => {
  it("migrates in statements within a 1.5 s query timeout, reporting how far; a node starting meanwhile waits, says so, and starts", {
    timeout: 60_000,
  }, async () => {
    const url = await schemaOne(ROWS, true);
    const store = { url, mode: "cluster" as const, queryTimeoutMs: QUERY_TIMEOUT_MS };
    const nodes = await Promise.all([0, 1].map(() => startServer({}, { store })));

    // One node migrated, reporting it; the other waited for it, saying so.
    const migrating = nodes.find((node) => node.logs.some((entry) => entry.event === "storage.upgrade_started"))!;
    const waiting = nodes.find((node) => node !== migrating)!;
    const lines = migrating.logs.filter((entry) => entry.event.startsWith("storage.upgrade"));
    expect(lines[0]!.message).toMatch(
      /^Migrating postgres:\/\/\S+ from yparty schema 1 to 2 \(room_kv keys into Durable Objects' order\), once, before the server listens/,
    );
    expect(lines[0]!.message).toContain("other nodes starting meanwhile wait for it");
    const progress = lines.filter((entry) => entry.event === "storage.upgrade_progress");
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const line of progress)
      expect(line.message).toMatch(/^Migrating postgres:\/\/\S+: step [12] of 2, [\d,]+ (rows read, [\d,]+ set aside|of [\d,]+ rows put back)/);
    const done = lines.at(-1)!;
    expect(done.event).toBe("storage.upgrade_done");
    expect(done.message).toMatch(/^Migrated postgres:\/\/\S+ to yparty schema 2 in [\d.]+ s: 40,000 rows read, 30,000 re-keyed$/);
    // The moves took twice the query timeout (the trigger's sleeps alone): no statement held them all.
    expect(done.ms as number).toBeGreaterThan(2 * QUERY_TIMEOUT_MS);
    const waited = events(waiting.logs);
    expect(waited[0]).toBe("storage.upgrade_wait_started");
    expect(waited.at(-1)).toBe("storage.upgrade_wait_done");
    // Lines between, at most one a second, say it still waits, for whom.
    expect(new Set(waited.slice(1, -1))).toEqual(new Set(waited.length > 2 ? ["storage.upgrade_wait_progress"] : []));
    // The holder is sampled as it is: in a statement, or between two of its transaction's (a loaded machine hits the gap).
    for (const line of waiting.logs.filter((entry) => entry.event === "storage.upgrade_wait_progress")) {
      expect(line.message).toMatch(
        /^Still waiting for another yparty's schema migration of postgres:\/\/\S+ \(PostgreSQL backend \d+: (active|idle in transaction)\)$/,
      );
    }
    expect(waiting.logs.find((entry) => entry.event === "storage.upgrade_wait_started")!.message).toMatch(
      /^Waiting for another yparty's schema migration of postgres:\/\/\S+ \(nodes starting together migrate once\): this one starts after it$/,
    );

    // Every row once, under its new key.
    expect(await query(url, "SELECT version FROM yparty_schema")).toEqual([{ version: 2 }]);
    const rows = await query(url, "SELECT room, key FROM room_kv");
    expect(rows.length).toBe(ROWS);
    const stored = new Set(rows.map((row) => `${row.room as string} ${(row.key as Buffer).toString("hex")}`));
    for (let i = 0; i < ROWS; i++) expect(stored.has(`main/r${i % 100} ${encodeKey(keyOf(i)).toString("hex")}`), keyOf(i)).toBe(true);

    // Migrated: the next start has nothing to say of it.
    await Promise.all(nodes.map((node) => node.stop()));
    const again = await startServer({}, { store });
    expect(events(again.logs)).toEqual([]);
  });

  it("a migration lock whose holder sends nothing any more fails the start saying which backend holds it and what to do", { timeout: 30_000 }, async () => {
    const { url } = await freshDatabase();
    // A process that took the lock, then stopped (frozen, or stopped in a debugger), its connection open.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock(hashtext('yparty:migrate'))");
      const [{ pid }] = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows as [{ pid: number }];
      const lines: string[] = [];
      const opening = openStorage({ url, queryTimeoutMs: 500, onWarning: () => undefined, onProgress: (line) => lines.push(line.message) });
      const error = (await opening.catch((caught: unknown) => caught)) as StorageError;
      expect(error).toBeInstanceOf(StorageError);
      expect(error.code).toBe("ERR_STORAGE_LOCKED");
      expect(error.message).toContain(
        `the schema migration this start waits for stopped: PostgreSQL backend ${pid} (127.0.0.1) holds its lock and has sent nothing for`,
      );
      expect(error.message).toContain(
        `end the backend (SELECT pg_terminate_backend(${pid})): its migration is rolled back, nothing is lost; then start this one again`,
      );
      expect(lines[0]).toMatch(/^Waiting for another yparty's schema migration/);
    } finally {
      await holder.end();
    }
    // Once it is gone, the start goes through.
    await (await openStorage({ url, queryTimeoutMs: 500, onWarning: () => undefined })).close();
  });

  it("yparty migrate onto a database of an older yparty says that it migrates its schema first", { timeout: 30_000 }, async () => {
    const url = await schemaOne(4, false);
    const folder = await tempDir("yparty-migrate-");
    try {
      await (await openStorage({ dir: folder.dir, onWarning: () => undefined })).close();
      const run = await runCli(["migrate", "--from", folder.dir, "--to", url]);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/\n {2}Migrating postgres:\/\/\S+ from yparty schema 1 to 2 \(room_kv keys into Durable Objects' order\)/);
      expect(run.stderr).toMatch(/\n {2}Migrated postgres:\/\/\S+ to yparty schema 2 in [\d.]+ s: 4 rows read, 3 re-keyed\n/);
    } finally {
      await folder.remove();
    }
  });
});
