/**
 * The bounded log reads (persistence/pg/log-read.ts, h121) fail the reads waiting behind one that PostgreSQL left
 * unanswered, so that a frozen PostgreSQL fails 20 loads in one timeout instead of ten. But a read can go past its
 * query timeout with PostgreSQL alive and answering: its own statement is slow (here two documents whose rows cost
 * 1.5 s each to read, through a row-level policy, against a 1 s query timeout). The loads waiting behind those two
 * then failed with them ("another read went unanswered"), rooms PostgreSQL would have served in milliseconds. Now the
 * next read runs, and only when a read sent after an unanswered one goes unanswered too do the waiting ones fail; the
 * frozen case stays within a few timeouts (h121-chunked-load-attacks).
 */
import { afterAll, afterEach, describe, expect, test } from "vitest";
import * as Y from "yjs";
import { openStorage, type Storage, type StorageError } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase, query, repeatedLogDocuments } from "./postgres-helpers.js";

const opened: Storage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

const QUERY_TIMEOUT_MS = 1_000;

/** `rooms` documents in a fresh database, read by a role whose rows of main/big-0 and -1 cost 1.5 s each to read. */
async function slowTwo(rooms: number): Promise<{ url: string; texts: string[]; readerUrl: string }> {
  const { url, schema } = await freshDatabase();
  const texts = await repeatedLogDocuments(url, rooms, 1, 100);
  // A role the tables' row-level policy applies to (it spares their owner), whose rows of main/big-0 and -1 are slow.
  const role = `reader_${schema}`;
  await query(url, `CREATE ROLE ${role} LOGIN`);
  await query(url, `GRANT ALL ON SCHEMA ${schema} TO ${role}`);
  await query(url, `GRANT ALL ON ALL TABLES IN SCHEMA ${schema} TO ${role}`);
  await query(
    url,
    "CREATE FUNCTION slow_row(doc text) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN IF doc IN ('main/big-0', 'main/big-1') THEN PERFORM pg_sleep(1.5); END IF; RETURN true; END $$",
  );
  await query(url, "ALTER TABLE doc_updates ENABLE ROW LEVEL SECURITY");
  await query(url, `CREATE POLICY slow ON doc_updates TO ${role} USING (slow_row(doc)) WITH CHECK (true)`);
  return { url, texts, readerUrl: url.replace("postgres@", `${role}@`) };
}

/** Loads `names` at once: each document's text, or the code its load failed with. */
function loadAll(storage: Storage, names: readonly string[]): Promise<string[]> {
  return Promise.all(
    names.map((name) =>
      storage.docs.load(name).then(
        (update) => {
          const doc = new Y.Doc();
          if (update) Y.applyUpdate(doc, update);
          return doc.getText("t").toString();
        },
        (error: StorageError) => error.code,
      ),
    ),
  );
}

test("two documents whose reads outlast the query timeout, PostgreSQL answering: the 10 loads waiting behind them load", { timeout: 60_000 }, async () => {
  const { texts, readerUrl } = await slowTwo(12);
  const storage = await openStorage({ url: readerUrl, queryTimeoutMs: QUERY_TIMEOUT_MS, onWarning: () => undefined });
  opened.push(storage);
  const outcomes = await loadAll(
    storage,
    texts.map((_, i) => `main/big-${i}`),
  );
  // The slow two fail (their own timeout); before, the ten behind them failed too.
  expect(outcomes).toEqual(["ERR_STORAGE_READ", "ERR_STORAGE_READ", ...texts.slice(2)]);
});

/*
 * One read at a time (a pool of two), so that nothing is read between the two slow ones. A read unanswered earlier
 * counted against the next, whatever came between: a commit PostgreSQL answered, or a whole timeout with nothing read.
 * The loads waiting behind the second slow read then failed with it ("another read went unanswered").
 */
describe("a read unanswered earlier, then another: the loads waiting behind the second load", () => {
  const waitingBehindSecond = async (between: (storage: Storage, url: string) => Promise<unknown>) => {
    const { url, texts, readerUrl } = await slowTwo(8);
    const storage = await openStorage({ url: readerUrl, poolSize: 2, queryTimeoutMs: QUERY_TIMEOUT_MS, onWarning: () => undefined });
    opened.push(storage);
    expect(await loadAll(storage, ["main/big-0"])).toEqual(["ERR_STORAGE_READ"]);
    await between(storage, url);
    const names = texts.map((_, i) => `main/big-${i}`).slice(1);
    expect(await loadAll(storage, names)).toEqual(["ERR_STORAGE_READ", ...texts.slice(2)]);
  };

  test("a commit answered between them", { timeout: 60_000 }, async () => {
    await waitingBehindSecond((storage) => storage.docs.append("main/other", Y.encodeStateAsUpdate(new Y.Doc())));
  });

  test("more than a query timeout between them, nothing read", { timeout: 60_000 }, async () => {
    // PostgreSQL idle (for this storage) for longer than a query timeout: the condition under test, not a wait for an event.
    await waitingBehindSecond((_, url) => query(url, `SELECT pg_sleep(${(QUERY_TIMEOUT_MS * 1.2) / 1000})`));
  });
});
