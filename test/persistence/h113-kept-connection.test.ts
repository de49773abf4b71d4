/**
 * A commit PostgreSQL refuses for what it writes rolls back and keeps its connection (commit.ts `leftConnectionClean`).
 * With one pooled connection every later commit runs on the connection the refusal was kept on: what follows the
 * refusal must land, both after a refused transaction (room.storage: BEGIN … ROLLBACK) and after a refused
 * single-statement append (the named, prepared fenced append), and no connection is opened for it. A commit that
 * gets no answer (pg's query_timeout, mid-transaction) is another matter: its connection is still dropped, and the
 * batch committed again on a new one.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { PostgresStorage, type StorageWarning } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { seededRandom } from "../helpers/seeded-random.js";
import { textOf, textUpdate } from "./helpers.js";
import { freshDatabase, query } from "./postgres-helpers.js";

afterAll(stopAllEngines);

const opened: PostgresStorage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});

/** A storage on one pooled connection (commits and reads share it), in a fresh schema. */
async function onOneConnection(options: { queryTimeoutMs?: number } = {}) {
  const { url, engine } = await freshDatabase();
  const warnings: StorageWarning[] = [];
  const storage = await PostgresStorage.open({ url, poolSize: 1, onWarning: (w) => warnings.push(w), ...options });
  opened.push(storage);
  /** The client backends now (the instance lock's, the pool's; not this query's own). */
  const backends = async () =>
    (await query(engine.url, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"))
      .map((row) => row.pid as number)
      .sort();
  return { url, storage, warnings, backends };
}

/** 2,000 code units PostgreSQL cannot compress into an index entry: past its 2,704 bytes. */
function tooLongKey(seed: number): string {
  const random = seededRandom(seed);
  return Array.from({ length: 2_000 }, () => String.fromCharCode(0x100 + Math.floor(random() * 0xd000))).join("");
}

describe("a refused commit on the only pooled connection", () => {
  it("room.storage: the rolled-back connection takes every later write and read", async () => {
    const { url, storage, warnings, backends } = await onOneConnection();
    const kv = storage.kv("notes/r");
    await kv.put("first", 1);
    const before = await backends();
    for (let attempt = 0; attempt < 3; attempt++) {
      await expect(kv.put(`${tooLongKey(attempt)}`, attempt)).rejects.toMatchObject({ code: "ERR_STORAGE_INVALID_ARGUMENT" });
      // A transaction too: refused as a whole, the connection rolled back.
      await expect(kv.transaction(async (txn) => txn.put({ ok: attempt, [tooLongKey(10 + attempt)]: attempt }))).rejects.toMatchObject({
        code: "ERR_STORAGE_INVALID_ARGUMENT",
      });
      await kv.put(`after-${attempt}`, attempt);
      await storage.docs.append("main/doc", textUpdate(new Y.Doc(), `${attempt}`));
    }
    expect(await kv.list()).toEqual(
      new Map<string, unknown>([
        ["after-0", 0],
        ["after-1", 1],
        ["after-2", 2],
        ["first", 1],
      ]),
    );
    // Stored for good, as another connection sees it (not left in a transaction that never commits).
    expect((await query(url, "SELECT count(*)::int AS keys FROM room_kv"))[0]).toEqual({ keys: 4 });
    expect(await backends()).toEqual(before);
    expect(warnings).toEqual([]);
  });

  it("a document append PostgreSQL refuses alone: the prepared append still serves the connection after it", async () => {
    const { url, storage, warnings, backends } = await onOneConnection();
    const doc = new Y.Doc();
    await storage.docs.append("main/doc", textUpdate(doc, "a"));
    // What this database takes of an update (an operator's rule): a longer one is refused by PostgreSQL (23514).
    await query(url, "ALTER TABLE doc_updates ADD CONSTRAINT h113_small_updates CHECK (length(update) < 1000)");
    const before = await backends();
    for (let attempt = 0; attempt < 3; attempt++) {
      const big = new Y.Doc();
      await expect(storage.docs.append("main/big", textUpdate(big, "x".repeat(5_000)))).rejects.toMatchObject({ code: "ERR_STORAGE_WRITE" });
      await storage.docs.append("main/doc", textUpdate(doc, `${attempt}`));
    }
    expect(textOf(await storage.docs.load("main/doc"))).toBe("a012");
    expect((await query(url, "SELECT count(*)::int AS entries FROM doc_updates WHERE doc = 'main/doc'"))[0]).toEqual({ entries: 4 });
    expect(await backends()).toEqual(before);
    expect(warnings).toEqual([]);
  });
});

describe("a commit left unanswered mid-transaction (query_timeout)", () => {
  it("drops its connection and commits the batch again on a new one", async () => {
    const { url, storage, warnings, backends } = await onOneConnection({ queryTimeoutMs: 500 });
    const kv = storage.kv("notes/r");
    await kv.put("first", 1);
    // The first write of key 'slow' waits 3 s inside its transaction (the next one goes through).
    await query(
      url,
      `CREATE SEQUENCE h113_slowed; -- not transactional: the retry, on a new connection, sees it counted
       CREATE FUNCTION h113_slow() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF nextval('h113_slowed') = 1 THEN PERFORM pg_sleep(3); END IF;
         RETURN NEW;
       END $$;
       CREATE TRIGGER h113_slow BEFORE INSERT ON room_kv FOR EACH ROW EXECUTE FUNCTION h113_slow();`,
    );
    const before = await backends();
    await kv.put("slow", 2);
    expect(await kv.get("slow")).toBe(2);
    const after = await backends();
    // The pool's connection that timed out is gone (its backend ends once it sees the socket closed), another took it.
    expect(after.filter((pid) => !before.includes(pid))).toHaveLength(1);
    expect(warnings.map((w) => w.code)).toContain("ERR_STORAGE_WRITE");
  });
});
