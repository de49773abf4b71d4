/**
 * Two owners closing one storage (a program's shutdown handler and the server it handed the storage to, or a second
 * SIGTERM): the second `close()` returned at once, while the first was still landing writes and releasing the
 * database, so its caller went on (opened the folder again, exited) as if it were closed. Every call now resolves
 * once the close is done.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { openStorage, type Storage } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { freshDatabase } from "./postgres-helpers.js";

afterAll(stopAllEngines);

/** Closes `storage` twice at once; whether the first close had finished when the second resolved. */
async function secondCloseWaits(storage: Storage): Promise<boolean> {
  await storage.docs.append("main/doc", new Uint8Array([0, 0])); // an empty Yjs update: a write to land first
  let firstDone = false;
  const first = storage.close().then(() => (firstDone = true));
  await storage.close();
  const doneWhenSecondResolved = firstDone;
  await first;
  return doneWhenSecondResolved;
}

test("LevelDB: a second close resolves once the folder is released, and the folder opens again at once", async () => {
  const dir = await mkdtemp(join(tmpdir(), "yparty-close-twice-"));
  try {
    expect(await secondCloseWaits(await openStorage({ dir }))).toBe(true);
    const again = await openStorage({ dir });
    expect(await again.docs.load("main/doc")).toBeDefined();
    await again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("PostgreSQL: a second close resolves once the database is released", { timeout: 60_000 }, async () => {
  const { url } = await freshDatabase();
  expect(await secondCloseWaits(await openStorage({ url, onWarning: () => undefined }))).toBe(true);
});
