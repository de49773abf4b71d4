/**
 * A compaction stopped by an entry at its snapshot's key is told once per document (h130), and the warning's remedy is
 * a new claim of the room (a restart, or the room moved to another node: a fence past every stored one). A cluster
 * node that got the room back, claimed anew, and whose compactions were stopped again said nothing: the document was
 * remembered as told for the storage's life. It is told again once per claim.
 */
import { afterAll, afterEach, expect, test } from "vitest";
import * as Y from "yjs";
import { openStorage, type Storage, type StorageWarning } from "../../persistence/index.js";
import { hasFencing } from "../../persistence/pg/storage.js";
import { stopAllEngines } from "../helpers/engines.js";
import { textUpdate } from "./helpers.js";
import { freshDatabase, query } from "./postgres-helpers.js";

const opened: Storage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(stopAllEngines);

const ROOM = "main/stopped";

test("a compaction stopped again after the room was claimed anew (it left the node and came back): told again", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  const warnings: StorageWarning[] = [];
  const storage = await openStorage({ url, mode: "cluster", onWarning: (warning) => warnings.push(warning) });
  opened.push(storage);
  if (!hasFencing(storage)) throw new Error("a PostgreSQL storage has fencing");
  const writer = new Y.Doc();
  /** A claim, writes under it, and another writer's entry at the key its compaction's snapshot takes. */
  const stoppedUnderNewClaim = async (words: string[]) => {
    const fence = await storage.claim(ROOM);
    for (const word of words) await storage.docs.append(ROOM, textUpdate(writer, word));
    await query(url, "INSERT INTO doc_updates (doc, fence, seq, update) VALUES ($1, $2, $3, $4)", [
      ROOM,
      fence,
      words.length,
      Buffer.from(Y.encodeStateAsUpdate(new Y.Doc())),
    ]);
    await storage.docs.compact(ROOM);
    return fence;
  };
  const first = await stoppedUnderNewClaim(["alpha ", "beta "]);
  const told = () => warnings.filter((warning) => warning.doc === ROOM && /was stopped/.test(warning.message));
  expect(told()).toHaveLength(1);
  expect(told()[0]!.message).toContain(`the key (${first}:2)`);
  // The room leaves this node and comes back: a new claim, a fence past every stored one.
  storage.forget(ROOM);
  const second = await stoppedUnderNewClaim(["gamma"]);
  expect(second).toBeGreaterThan(first);
  // Before: still the one warning.
  expect(told()).toHaveLength(2);
  expect(told()[1]!.message).toContain(`the key (${second}:1)`);
  // Under one claim it is told once.
  await storage.docs.compact(ROOM);
  expect(told()).toHaveLength(2);
});
