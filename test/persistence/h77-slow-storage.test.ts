/**
 * A store whose writes take seconds (a slow or overloaded disk), under many clients with durable acks: a real server
 * (`createServer({ storage })`) on a real LevelDB storage whose appends each reach LevelDB only WRITE_MS after they
 * were made. Acks must come only once the update is in LevelDB, reads must be served meanwhile (a new client syncs, a
 * GET answers, both from the live room, well before the writes land), and everything acknowledged is there afterwards.
 */
import { afterEach, expect, it } from "vitest";
import * as Y from "yjs";
import { LevelStorage, type DocStore, type Storage } from "../../persistence/index.js";
import { createLogger, createServer, type YpartyServer } from "../../src/runtime/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { waitFor } from "../helpers/server.js";
import { TokenWriter } from "../helpers/token-writer.js";
import { destroyProviders, makeProvider, until, whenSynced } from "../yjs/support/providers.js";
import { makeTempDir, removeDir } from "./helpers.js";

const WRITE_MS = 4_000;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  destroyProviders();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `inner` with every append handed to it WRITE_MS late (in call order: timers of one delay fire in order). */
function slowAppends(inner: Storage): Storage {
  const docs = inner.docs;
  const slowDocs: DocStore = {
    load: (name) => docs.load(name),
    append: (name, update, options) => new Promise((resolve) => setTimeout(resolve, WRITE_MS)).then(() => docs.append(name, update, options)),
    compact: (name, source) => docs.compact(name, source),
    delete: (name) => docs.delete(name),
    names: () => docs.names(),
    stats: (name) => docs.stats(name),
    keep: (name) => docs.keep?.(name),
    release: (name) => docs.release?.(name),
  };
  return { docs: slowDocs, kv: (room) => inner.kv(room), kvRooms: () => inner.kvRooms(), location: inner.location, close: () => inner.close() };
}

/** The tokens LevelDB holds for a room now (the array `tokens` of its stored document). */
async function storedTokens(storage: Storage, room: string): Promise<Set<string>> {
  const state = await storage.docs.load(`main/${room}`);
  const doc = new Y.Doc();
  if (state) Y.applyUpdate(doc, state);
  return new Set(doc.getArray<string>("tokens").toArray());
}

it("acknowledges only what reached LevelDB, serves reads of the live rooms meanwhile, and keeps everything acknowledged", { timeout: 90_000 }, async () => {
  const dir = await makeTempDir();
  cleanups.push(() => removeDir(dir));
  const level = await LevelStorage.open({ dir, onWarning: () => undefined });
  cleanups.push(() => level.close());
  const server: YpartyServer = createServer({
    parties: { main: DocumentParty },
    port: 0,
    host: "127.0.0.1",
    storage: slowAppends(level),
    logger: createLogger({ write: () => {} }),
  });
  await server.listen();
  cleanups.push(() => server.close());
  const host = server.url.replace("http://", "");

  const rooms = ["r0", "r1", "r2", "r3"];
  const writers = Array.from({ length: 24 }, (_, i) => new TokenWriter(host, "main", rooms[i % rooms.length]!));
  cleanups.push(async () => writers.forEach((writer) => writer.close()));
  await Promise.all(writers.map((writer) => writer.opened));
  const started = performance.now();
  for (const [i, writer] of writers.entries()) {
    for (let n = 0; n < 40; n++) writer.write(`w${i}-${n}`);
  }
  // Reads are served while the writes crawl: a new client syncs every token, a GET answers, long before they land.
  const reader = new Y.Doc();
  await whenSynced(makeProvider("y-websocket", server.url, "main", "r0", reader), WRITE_MS / 2);
  await until(reader, (doc) => doc.getArray("tokens").length === 6 * 40, "the reader to see every token of r0", WRITE_MS / 2);
  const get = await waitFor(fetch(`${server.url}/parties/main/r1`), "a GET of a room whose writes wait", WRITE_MS / 2);
  expect(get.status).toBe(200);
  // Nothing has reached LevelDB yet, so nothing is acknowledged.
  expect(writers.every((writer) => writer.acknowledged.length === 0)).toBe(true);
  for (const room of rooms) expect((await storedTokens(level, room)).size).toBe(0);
  expect(performance.now() - started).toBeLessThan(WRITE_MS);

  await waitFor(Promise.all(writers.map((writer) => writer.settled())), "every token to be acknowledged", WRITE_MS * 10);
  for (const [i, writer] of writers.entries()) {
    expect(writer.acknowledged.length, `writer ${i}`).toBe(40);
    const stored = await storedTokens(level, rooms[i % rooms.length]!);
    expect(
      writer.acknowledged.filter((token) => !stored.has(token)),
      `writer ${i}'s tokens missing from LevelDB`,
    ).toEqual([]);
  }
});
