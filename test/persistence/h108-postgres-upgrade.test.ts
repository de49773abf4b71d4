/**
 * Schema migration 2 (room.storage keys in Durable Objects' order) as a user upgrading a cluster meets it: many rows
 * to re-key, and every node starting at once against the old database. Exactly one node migrates; no row is lost or
 * doubled; and the others, waiting for it, start too. A migration sending a statement per row (37,500 rows: some 4 s)
 * failed their start, the wait counted against their query timeout (30 s; 2 s here); it sends its rows in batches.
 * That is counted (the statements the opens send), not timed: held to 2 s, the opens took 2.9 s on a loaded machine
 * (0.5 s unloaded), and the waiters now wait in slices (pg/migration-lock.ts).
 */
import pg from "pg";
import { afterAll, describe, expect, it, vi } from "vitest";
import { openStorage, type Storage } from "../../persistence/index.js";
import { encodeKey } from "../../persistence/kv-codec.js";
import { stopAllEngines } from "../helpers/engines.js";
import { query, schemaOneDatabase } from "./postgres-helpers.js";

afterAll(stopAllEngines);

const ROWS = 50_000;
/** Half of the keys move (U+E000 up, lone surrogates, emoji), half do not. */
const keyOf = (i: number) => [`\uE000${i}`, `plain ${i}`, `\uD800${i}`, `\u{1F600}${i}`][i % 4]!;

describe("PostgreSQL schema 1 to 2", () => {
  it(`${ROWS} rows of an older yparty, two cluster nodes starting at once: one migration, every row once under its new key`, { timeout: 60_000 }, async () => {
    const keys = Array.from({ length: ROWS }, (_, i) => keyOf(i));
    const url = await schemaOneDatabase(keys.map((key, i) => ({ room: `main/r${i % 100}`, key })));

    const sent = vi.spyOn(pg.Client.prototype, "query");
    const nodes: Storage[] = await Promise.all([0, 1].map(() => openStorage({ url, mode: "cluster", queryTimeoutMs: 2_000, onWarning: () => undefined })));
    const statements = sent.mock.calls.length;
    sent.mockRestore();
    try {
      expect(await query(url, "SELECT version FROM yparty_schema")).toEqual([{ version: 2 }]);
      const rows = await query(url, "SELECT room, key FROM room_kv");
      expect(rows.length).toBe(ROWS);
      const stored = new Set(rows.map((row) => `${row.room as string} ${(row.key as Buffer).toString("hex")}`));
      for (let i = 0; i < ROWS; i++) expect(stored.has(`main/r${i % 100} ${encodeKey(keys[i]!).toString("hex")}`), keys[i]).toBe(true);
      const listed = await nodes[1]!.kv("main/r3").list<string>();
      expect(listed.size).toBe(ROWS / 100);
      for (const [key, value] of listed) expect(value).toBe(key);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
    // Some 220 here (batches of 500 rows); a statement per moved row sent 25,000.
    expect(statements).toBeLessThan(ROWS / 100);
  });
});
