/**
 * Schema migration 2 whose node is killed (SIGKILL) half-way while another node waits for it: the waiting node's start
 * takes the lock once PostgreSQL ends the dead node's transaction, runs the migration itself, and every row is there
 * once, under its new key. (Held, h152: h114 ended the migrating backend from PostgreSQL's side; this kills the process,
 * its socket closed by the kernel, mid-statement or between two.)
 */
import { afterAll, afterEach, expect, it } from "vitest";
import { openStorage, type StorageProgress } from "../../persistence/index.js";
import { encodeKey } from "../../persistence/kv-codec.js";
import { stopAllEngines } from "../helpers/engines.js";
import { type Child, spawnFixture } from "./child.js";
import { query, schemaOneDatabase } from "./postgres-helpers.js";

const children: Child[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await child.kill();
});
afterAll(stopAllEngines);

const ROWS = 8_000;
const keyOf = (i: number) => [`\uE000${i}`, `\uD83D\uDE00${i}`, `plain ${i}`][i % 3]!;

it("the migrating node killed half-way, another waiting: the waiting one migrates every row once, and starts", { timeout: 90_000 }, async () => {
  const rows = Array.from({ length: ROWS }, (_, i) => ({ room: `main/r${i % 50}`, key: keyOf(i) }));
  // 0.5 ms more for each row a statement deletes: the migration takes some seconds.
  const url = await schemaOneDatabase(rows, 0.5);
  const migrating = spawnFixture("../h152-migrating-child.ts", [url]);
  children.push(migrating);
  await migrating.waitForLine((line) => line === "progress");

  const waits: StorageProgress[] = [];
  let waiting!: () => void;
  const waitStarted = new Promise<void>((resolve) => (waiting = resolve));
  const opening = openStorage({
    url,
    mode: "cluster",
    onWarning: () => undefined,
    onProgress: (line) => {
      waits.push(line);
      if (line.task === "upgrade_wait") waiting();
    },
  });
  await waitStarted;
  await migrating.kill();
  expect(migrating.lines).not.toContain("done");
  const storage = await opening;
  try {
    // It waited, then ran the migration itself (its own started and done lines).
    expect(waits.map((line) => `${line.task} ${line.stage}`)).toContain("upgrade started");
    expect(waits.at(-1)).toMatchObject({ task: "upgrade", stage: "done" });
    expect(await query(url, "SELECT version FROM yparty_schema")).toEqual([{ version: 2 }]);
    const stored = (await query(url, "SELECT room, key FROM room_kv")).map((row) => `${row.room as string} ${(row.key as Buffer).toString("hex")}`);
    expect(stored.length).toBe(ROWS);
    expect(new Set(stored)).toEqual(new Set(rows.map((row) => `${row.room} ${encodeKey(row.key).toString("hex")}`)));
    expect(await storage.kv("main/r1").get<string>(keyOf(1))).toBe(keyOf(1));
  } finally {
    await storage.close();
  }
});
