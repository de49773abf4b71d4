/**
 * The bounded log reads (persistence/pg/log-read.ts, h121) fail the reads waiting behind one that PostgreSQL left
 * unanswered, so that a frozen PostgreSQL fails 20 loads in one timeout instead of ten. But a read can go past its
 * query timeout with PostgreSQL alive and answering: its own statement is slow (here two documents whose rows cost
 * 1.5 s each to read, through a row-level policy, against a 1 s query timeout). The loads waiting behind those two
 * then failed with them ("another read went unanswered"), rooms PostgreSQL would have served in milliseconds. Now the
 * next read runs, and only when a read sent after an unanswered one goes unanswered too do the waiting ones fail; the
 * frozen case stays within a few timeouts (h121-chunked-load-attacks).
 */
import { afterAll, afterEach, expect, test } from "vitest";
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

test("two documents whose reads outlast the query timeout, PostgreSQL answering: the 10 loads waiting behind them load", { timeout: 60_000 }, async () => {
  const { url, schema } = await freshDatabase();
  const texts = await repeatedLogDocuments(url, 12, 1, 100);
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
  const storage = await openStorage({ url: url.replace("postgres@", `${role}@`), queryTimeoutMs: QUERY_TIMEOUT_MS, onWarning: () => undefined });
  opened.push(storage);
  const outcomes = await Promise.all(
    texts.map((_, i) =>
      storage.docs.load(`main/big-${i}`).then(
        (update) => {
          const doc = new Y.Doc();
          if (update) Y.applyUpdate(doc, update);
          return doc.getText("t").toString();
        },
        (error: StorageError) => error.code,
      ),
    ),
  );
  // The slow two fail (their own timeout); before, the ten behind them failed too.
  expect(outcomes).toEqual(["ERR_STORAGE_READ", "ERR_STORAGE_READ", ...texts.slice(2)]);
});
