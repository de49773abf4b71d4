/**
 * The PostgreSQL engine beyond the contracts: one transaction per group commit, PostgreSQL restarting under writes
 * (acks wait, nothing acknowledged is lost), the ack record refusing a document that lost rows, names and keys that
 * PostgreSQL `text` cannot hold as they are.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import pg from "pg";
import { PostgresStorage, StorageError, type StorageWarning } from "../../persistence/index.js";
import { commitBatch, type PgOp } from "../../persistence/pg/commit.js";
import { stopAllEngines } from "../helpers/engines.js";
import { textOf, textUpdate, withTimeout } from "./helpers.js";
import { freshDatabase, query } from "./postgres-helpers.js";

afterAll(stopAllEngines);

const opened: PostgresStorage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});

async function open(url: string, warnings: StorageWarning[] = []): Promise<PostgresStorage> {
  const storage = await PostgresStorage.open({ url, onWarning: (w) => warnings.push(w) });
  opened.push(storage);
  return storage;
}

describe("PostgreSQL engine", () => {
  it("writes the appends of every document that waited together in one transaction, acknowledged after its COMMIT", async () => {
    const { url } = await freshDatabase();
    const storage = await open(url);
    const rooms = Array.from({ length: 30 }, (_, i) => `main/room-${i}`);
    const writers = rooms.map(() => new Y.Doc());
    // First writes claim the rooms (one statement each) and are committed on their own.
    await Promise.all(rooms.map((room, i) => storage.docs.append(room, textUpdate(writers[i]!, "first "))));
    const burst = rooms.flatMap((room, i) => [0, 1, 2].map((n) => storage.docs.append(room, textUpdate(writers[i]!, `${n} `))));
    await Promise.all(burst);
    // The transaction that inserted a row is its xmin: the 90 appends of the burst (one merged entry per room) share one.
    const rows = await query(url, "SELECT count(*) AS entries, count(DISTINCT xmin::text) AS transactions FROM doc_updates WHERE seq > 0");
    expect(rows[0]).toEqual({ entries: "30", transactions: "1" });
    for (const room of rooms) expect(textOf(await storage.docs.load(room))).toBe("first 0 1 2 ");
    // Room storage writes of rooms writing together share a transaction too.
    await Promise.all(rooms.map((room, i) => storage.kv(room).put("k", i)));
    expect((await query(url, "SELECT count(*) AS keys, count(DISTINCT xmin::text) AS transactions FROM room_kv"))[0]).toEqual({
      keys: "30",
      transactions: "1",
    });
  });

  for (const how of ["graceful", "crash"] as const) {
    it(`keeps every acknowledged append and room write through a ${how} restart of PostgreSQL under writes: acks wait, then resume`, async () => {
      const { url, engine } = await freshDatabase();
      const warnings: StorageWarning[] = [];
      const storage = await open(url, warnings);
      const rooms = ["main/a", "main/b", "main/c"];
      const writers = rooms.map(() => new Y.Doc());
      const acked: Array<{ room: number; n: number }> = [];
      const failures: unknown[] = [];
      let n = 0;
      let stop = false;
      // Writers keep eight appends (and a room write with each) in flight, as busy rooms do.
      const writer = async () => {
        while (!stop) {
          const room = n % rooms.length;
          const mine = n++;
          const update = textUpdate(writers[room]!, `<${mine}>`);
          await Promise.all([storage.docs.append(rooms[room]!, update), storage.kv(rooms[room]!).put(`k${mine}`, mine)]).then(
            () => acked.push({ room, n: mine }),
            (error: unknown) => failures.push(error),
          );
        }
      };
      const running = Array.from({ length: 8 }, writer);
      const ackedBy = async (count: number, what: string) => {
        const deadline = Date.now() + 20_000;
        while (acked.length < count) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${acked.length} acked)`);
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      await ackedBy(50, "appends before the restart");
      const before = acked.length;
      await engine.stop(how);
      const duringOutage = acked.length;
      await engine.start();
      await ackedBy(duringOutage + 50, "appends after the restart");
      stop = true;
      await withTimeout(Promise.all(running), 20_000, "the writers to finish");

      expect(failures).toEqual([]);
      expect(before).toBeGreaterThanOrEqual(50);
      expect(warnings.some((w) => w.message.includes("writes wait and are retried"))).toBe(true);
      for (const [i, room] of rooms.entries()) {
        const text = textOf(await storage.docs.load(room));
        expect(text).toBe(writers[i]!.getText("t").toString());
        const stored = await storage.kv(room).list();
        for (const ack of acked.filter((a) => a.room === i)) {
          expect(text).toContain(`<${ack.n}>`);
          expect(stored.get(`k${ack.n}`)).toBe(ack.n);
        }
      }
    });
  }

  it("commits a batch whose outcome was unknown a second time without duplicating a row or miscounting the ack record", async () => {
    const { url } = await freshDatabase();
    const storage = await open(url);
    const fence = await storage.claim("main/twice");
    const writer = new Y.Doc();
    const updates = [textUpdate(writer, "once"), textUpdate(writer, " and again")];
    // Appends alone (one statement) and appends with a room write (a transaction), each committed twice.
    const batches: PgOp[][] = [
      [{ kind: "insert", room: "main/twice", fence, seq: 0, update: updates[0]! }],
      [
        { kind: "insert", room: "main/twice", fence, seq: 1, update: updates[1]! },
        { kind: "put", room: "main/twice", fence, key: Buffer.from("k"), value: Uint8Array.of(1) },
      ],
    ];
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const ops of batches) {
        for (let attempt = 0; attempt < 2; attempt++)
          expect(await commitBatch(client as unknown as pg.PoolClient, ops)).toEqual({ refused: new Map(), stopped: [] });
      }
    } finally {
      await client.end();
    }
    expect(await storage.docs.stats("main/twice")).toEqual({ updates: 2, bytes: updates[0]!.byteLength + updates[1]!.byteLength });
    expect(textOf(await storage.docs.load("main/twice"))).toBe("once and again");
  });

  it("refuses to load a document whose rows are fewer than its ack record counts (ERR_DOCUMENT_DAMAGED), others still load", async () => {
    const { url } = await freshDatabase();
    const storage = await open(url);
    const writer = new Y.Doc();
    for (let i = 0; i < 3; i++) await storage.docs.append("main/hurt", textUpdate(writer, `${i}`));
    await storage.docs.append("main/fine", textUpdate(new Y.Doc(), "fine"));
    // As a restore from an older backup, or a row deleted by hand, would leave it.
    await query(url, "DELETE FROM doc_updates WHERE doc = 'main/hurt' AND seq = 1");
    const error = await storage.docs.load("main/hurt").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("ERR_DOCUMENT_DAMAGED");
    expect((error as StorageError).message).toContain("1 acknowledged log entry is missing");
    expect(textOf(await storage.docs.load("main/fine"))).toBe("fine");
    await query(url, "DELETE FROM doc_updates WHERE doc = 'main/hurt'");
    expect(await storage.docs.stats("main/hurt")).toEqual({ updates: 0, bytes: 0, damaged: true });
  });

  it("stores names PostgreSQL text cannot hold (NUL, lone surrogates) apart and readable back", async () => {
    const { url } = await freshDatabase();
    const storage = await open(url);
    const names = ["main/a\u0000", "main/\uD800", "main/\uFFFD", "main/\uFFFE0000", "main/a"];
    for (const [i, name] of names.entries()) {
      await storage.docs.append(name, textUpdate(new Y.Doc(), `doc ${i}`));
      await storage.kv(name).put("k", name);
    }
    expect(await storage.docs.names()).toEqual([...names].sort());
    for (const [i, name] of names.entries()) {
      expect(textOf(await storage.docs.load(name))).toBe(`doc ${i}`);
      expect(await storage.kv(name).get("k")).toBe(name);
    }
  });
});
