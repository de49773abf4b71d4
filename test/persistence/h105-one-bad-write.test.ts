/**
 * A server on PostgreSQL commits the writes of many rooms together. One room's write that PostgreSQL refuses for what
 * it is (a room.storage key past the index's 2,704 bytes) fails alone, with an error that says so: the other rooms'
 * room.storage puts and Yjs updates (real y-websocket clients) committed in the same batch are stored and
 * acknowledged, and nothing else is logged as failed. To put them in one batch for sure, each round holds the commit
 * before it (a lock on one room's row, which every fenced commit takes FOR SHARE) until all of them wait behind it.
 */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { seededRandom } from "../helpers/seeded-random.js";
import { pollUntil, startServer, waitFor } from "../helpers/server.js";
import { clientDocs, makeProvider, until, whenSynced } from "../yjs/support/providers.js";
import { freshDatabase, query } from "./postgres-helpers.js";

afterAll(stopAllEngines);
const docs = clientDocs();

const ROOMS = 12;
const ROUNDS = 3;

/** The rooms whose put has been handed to room.storage (a turn after the call: it is queued for a commit). */
const putsQueued = new Set<string>();

/**
 * `POST {key, value}` puts into room.storage; answers the put's error (code, message) with a 500. Without Durable
 * Objects' limits (as yparty's rooms and game parties): its keys may pass 2,048 bytes, and reach PostgreSQL.
 */
class Notes implements Party.Server {
  readonly options = { storageLimits: false };
  constructor(readonly room: Party.Room) {}
  async onRequest(req: Party.Request) {
    const { key, value } = (await req.json()) as { key: string; value: unknown };
    const written = this.room.storage.put(key, value);
    setImmediate(() => putsQueued.add(this.room.id));
    try {
      await written;
      return Response.json({ stored: key.length });
    } catch (error) {
      return Response.json({ code: (error as { code?: string }).code, message: (error as Error).message }, { status: 500 });
    }
  }
}

/** 2,000 characters PostgreSQL cannot compress into its index entry (random code units below the surrogates). */
function longKey(seed: number): string {
  const random = seededRandom(seed);
  return Array.from({ length: 2_000 }, () => String.fromCharCode(0x100 + Math.floor(random() * 0xd000))).join("");
}

describe("one room's write that PostgreSQL refuses", () => {
  it("fails alone with a clear error; every other room's writes of the same commit are stored and acknowledged", async () => {
    const { url } = await freshDatabase();
    const parties = { main: DocumentParty, notes: Notes };
    const server = await startServer(parties, { store: url });
    const put = async (room: string, key: string, value: unknown) => {
      const response = await fetch(`${server.url}/parties/notes/${room}`, { method: "POST", body: JSON.stringify({ key, value }) });
      return { status: response.status, body: (await response.json()) as { code?: string; message?: string } };
    };
    const connected = (room: string) => {
      const doc = new Y.Doc();
      docs.push(doc);
      const provider = makeProvider("y-websocket", server.url, "main", room, doc);
      return { doc, synced: whenSynced(provider) };
    };
    // Each room: a client that writes, and one that sees what the server applied (and handed to its store).
    const writers = Array.from({ length: ROOMS }, (_, i) => ({ room: `room-${i}`, doc: connected(`room-${i}`), seen: connected(`room-${i}`) }));
    await Promise.all(writers.flatMap(({ doc, seen }) => [doc.synced, seen.synced]));
    expect((await put("held", "first", 0)).status).toBe(200); // its row in `rooms` exists: the lock below holds it

    for (let round = 0; round < ROUNDS; round++) {
      const lock = new pg.Client({ connectionString: url });
      await lock.connect();
      await lock.query("BEGIN");
      await lock.query("SELECT 1 FROM rooms WHERE name = 'notes/held' FOR UPDATE");
      putsQueued.clear();
      const held = put("held", "round", round);
      await pollUntil("the held room's commit waiting for the lock", async () =>
        (await query(url, "SELECT 1 FROM pg_locks WHERE NOT granted")).length > 0 ? true : undefined,
      );

      const bad = put("bad", longKey(round), round);
      const good = writers.map(({ room }) => put(room, `round-${round}`, { round, room }));
      for (const { doc } of writers) doc.doc.getArray<number>("rounds").push([round]);
      await pollUntil("every put queued", async () => (putsQueued.size === ROOMS + 2 ? true : undefined));
      await Promise.all(
        writers.map(({ room, seen }) => until(seen.doc, (doc) => doc.getArray("rounds").length === round + 1, `${room}'s round ${round} applied`)),
      );
      await lock.query("COMMIT"); // the held commit lands; everything queued behind it is the next batch
      await lock.end();

      expect((await waitFor(held, "the held put")).status).toBe(200);
      const refused = await waitFor(bad, "the bad put's answer");
      expect(refused.status).toBe(500);
      expect(refused.body.code).toBe("ERR_STORAGE_INVALID_ARGUMENT");
      expect(refused.body.message).toMatch(
        /Could not write room "notes\/bad" to postgres:\/\/.*: the key ".*"… \(2000 characters\) is too long for the PostgreSQL store/,
      );
      expect(refused.body.message).toMatch(/at most 2,704 bytes .* these take \d,\d{3} as stored\. Use a shorter key/);
      const answers = await waitFor(Promise.all(good), `round ${round}'s puts`);
      expect(answers.filter((answer) => answer.status !== 200).map((answer) => answer.body.message)).toEqual([]);
    }

    // Acknowledged means stored: a second server on the same database serves every round of every room.
    const next = await server.restart(parties);
    for (const { room } of writers) {
      const reader = new Y.Doc();
      docs.push(reader);
      await whenSynced(makeProvider("y-websocket", next.url, "main", room, reader));
      await until(reader, (doc) => doc.getArray("rounds").length === ROUNDS, `${room}'s ${ROUNDS} rounds`);
      const kept = await next.server.storage.kv(`notes/${room}`).list();
      expect([...kept.keys()]).toEqual(Array.from({ length: ROUNDS }, (_, round) => `round-${round}`));
    }
    expect(await next.server.storage.kv("notes/bad").list()).toEqual(new Map());
    // Nothing else failed: no append retried, no write reported.
    expect(server.logs.filter((entry) => entry.level === "warn" || entry.level === "error").map((entry) => entry.event)).toEqual([]);
  }, 60_000);
});
