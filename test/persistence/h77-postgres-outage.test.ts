/**
 * A server on PostgreSQL while PostgreSQL goes away under writers, from the outside: clients with durable acks
 * (TokenWriter), the server created with `createServer({ store })`, PostgreSQL frozen (SIGSTOP of every process of it)
 * past the storage's query timeout, its sessions killed with `pg_terminate_backend`, an immediate shutdown (a crash)
 * and a start. Every acknowledged token must be served afterwards; nothing may hang without an answer.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { createLogger, createServer, type LogEntry, type YpartyServer } from "../../src/runtime/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { processTree, stopAllEngines } from "../helpers/engines.js";
import { pollUntil, waitFor } from "../helpers/server.js";
import { TokenWriter } from "../helpers/token-writer.js";
import { destroyProviders, makeProvider, until, whenSynced } from "../yjs/support/providers.js";
import { freshDatabase, query } from "./postgres-helpers.js";

afterAll(stopAllEngines);
const servers: YpartyServer[] = [];
const frozen: number[] = [];
const writers: TokenWriter[] = [];
afterEach(async () => {
  for (const pid of frozen.splice(0)) process.kill(pid, "SIGCONT");
  for (const writer of writers.splice(0)) writer.close();
  destroyProviders();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const QUERY_TIMEOUT_MS = 1_500;

async function serve(url: string, logs: LogEntry[] = []): Promise<YpartyServer> {
  const logger = createLogger({ level: "debug", write: () => {} });
  logger.subscribe((entry) => logs.push(entry));
  const server = createServer({ parties: { main: DocumentParty }, port: 0, host: "127.0.0.1", store: { url, queryTimeoutMs: QUERY_TIMEOUT_MS }, logger });
  servers.push(server);
  await server.listen();
  return server;
}

/** Writers (one per room) that have each had `count` tokens acknowledged. */
async function writing(server: YpartyServer, rooms: string[], count: number): Promise<TokenWriter[]> {
  const host = server.url.replace("http://", "");
  const made = rooms.map((room) => new TokenWriter(host, "main", room));
  writers.push(...made);
  await Promise.all(made.map((writer) => writer.opened));
  for (let i = 0; i < count; i++) for (const writer of made) writer.write(`before-${i}`);
  await waitFor(Promise.all(made.map((writer) => writer.settled())), "the first tokens to be acknowledged", 10_000);
  for (const writer of made) expect(writer.unacknowledged).toEqual([]);
  return made;
}

/** What a fresh server on the database serves of each room, read by a y-websocket client. */
async function servedAfterRestart(url: string, rooms: string[]): Promise<string[][]> {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  const server = await serve(url);
  return Promise.all(
    rooms.map(async (room) => {
      const doc = new Y.Doc();
      await whenSynced(makeProvider("y-websocket", server.url, "main", room, doc), 10_000);
      return doc.getArray<string>("tokens").toArray();
    }),
  );
}

const storageWarnings = (logs: LogEntry[]): string[] => logs.filter((entry) => entry.event === "storage.warning").map((entry) => String(entry.message));

describe("a server on PostgreSQL while PostgreSQL goes away", () => {
  it("frozen past every timeout: commits are retried and warned about, loads answer 503 instead of hanging; acks resume once it thaws", {
    timeout: 60_000,
  }, async () => {
    const { url, engine } = await freshDatabase();
    const logs: LogEntry[] = [];
    const server = await serve(url, logs);
    const rooms = ["a", "b", "c"];
    const live = await writing(server, rooms, 20);
    const collaborator = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "a", collaborator), 10_000);

    frozen.push(...(await processTree(engine.pid)));
    for (const pid of frozen) process.kill(pid, "SIGSTOP");
    for (let i = 0; i < 200; i++) for (const writer of live) writer.write(`during-${i}`);
    // A live room goes on: its collaborators get the changes at once (only their acks wait for the store).
    await until(collaborator, (doc) => doc.getArray<string>("tokens").toArray().includes("during-199"), "a live room's changes during the freeze", 5_000);
    // The operator hears that writes wait, within the timeout (not at the thaw, minutes or hours later).
    await pollUntil(
      "a warning that writes wait",
      async () => storageWarnings(logs).find((m) => m.includes("writes wait and are retried")),
      QUERY_TIMEOUT_MS * 4,
    );
    // A room that is not loaded cannot be read: the request is answered, 503, not held for as long as the freeze lasts.
    const started = performance.now();
    const answer = await waitFor(fetch(`${server.url}/parties/main/unloaded`), "an answer for a room that cannot load", QUERY_TIMEOUT_MS * 4);
    expect(answer.status).toBe(503);
    expect(await answer.text()).toMatch(/ERR_LOAD_FAILED/);
    expect(performance.now() - started).toBeLessThan(QUERY_TIMEOUT_MS * 3);
    // A socket to such a room is closed with 1013 (try again later), the code its provider reconnects after.
    const refused = new TokenWriter(server.url.replace("http://", ""), "main", "unloaded-too");
    writers.push(refused);
    expect(await waitFor(refused.closed, "the socket of a room that cannot load to be closed", QUERY_TIMEOUT_MS * 4)).toBe(1013);
    for (const writer of live) expect(writer.acknowledged.length).toBe(20); // nothing acknowledged that is not stored

    for (const pid of frozen.splice(0)) process.kill(pid, "SIGCONT");
    await waitFor(Promise.all(live.map((writer) => writer.settled())), "every token to be acknowledged after the thaw", 20_000);
    for (const writer of live) expect(writer.unacknowledged).toEqual([]);
    await pollUntil("a note that writes go through again", async () => storageWarnings(logs).find((m) => m.includes("again after")), 5_000);

    const served = await servedAfterRestart(url, rooms);
    for (const [i, writer] of live.entries()) expect(served[i]).toEqual(writer.acknowledged);
  });

  it("sessions killed with pg_terminate_backend, then an immediate shutdown and a start: every acknowledged token is served", { timeout: 60_000 }, async () => {
    const { url, engine } = await freshDatabase();
    const logs: LogEntry[] = [];
    const server = await serve(url, logs);
    const rooms = ["a", "b", "c"];
    const live = await writing(server, rooms, 10);
    let written = 0;
    const writeSome = (n: number) => {
      for (let i = 0; i < n; i++, written++) for (const writer of live) writer.write(`more-${written}`);
    };
    const ackedNow = () => Math.min(...live.map((writer) => writer.acknowledged.length));

    // Every session of the server (its pool and the instance lock's), killed while writes are in flight, three times.
    for (let round = 0; round < 3; round++) {
      writeSome(30);
      const killed = await query(
        url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() AND backend_type = 'client backend'",
      );
      expect(killed.length).toBeGreaterThan(0);
      writeSome(30);
      await waitFor(Promise.all(live.map((writer) => writer.settled())), `the tokens of round ${round} to be acknowledged`, 20_000);
      for (const writer of live) expect(writer.unacknowledged).toEqual([]);
    }
    // The instance lock was taken again: a second standalone server is still refused.
    await pollUntil(
      "the instance lock to be held again",
      async () => {
        const [row] = await query(url, "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted");
        return (row!.n as number) > 0 || undefined;
      },
      10_000,
    );

    const before = ackedNow();
    writeSome(50);
    await engine.stop("crash");
    writeSome(50);
    await engine.start();
    await waitFor(Promise.all(live.map((writer) => writer.settled())), "the tokens written across the crash to be acknowledged", 30_000);
    expect(ackedNow()).toBe(before + 100);

    // A room that was not loaded loads again too.
    const fresh = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "fresh", fresh), 10_000);
    fresh.getArray<string>("tokens").push(["x"]);
    await until(fresh, () => true, "a write to a new room");

    const served = await servedAfterRestart(url, rooms);
    for (const [i, writer] of live.entries()) expect(served[i]).toEqual(writer.acknowledged);
  });
});
