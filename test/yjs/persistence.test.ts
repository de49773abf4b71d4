import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryDocStore } from "../../persistence/index.js";
import { DocumentSession, type SessionOptions } from "../../src/yjs/session.js";
import type { CompactionPolicy } from "../../src/yjs/compaction.js";
import { SNAPSHOT_COMPACT_BYTES, SNAPSHOT_COMPACT_UPDATES, YJS_LIMITS } from "../../src/yjs/defaults.js";
import { ControlledStore } from "./support/controlled-store.js";
import { FakeClient, deferred, endOfRead, isType, withTimeout } from "./support/fake-client.js";
import { capturingLogger, clients, connect, openSession, sessions, stopAll } from "./support/sessions.js";

const servers: Server[] = [];

function open(store: ControlledStore | MemoryDocStore, policy: CompactionPolicy = { mode: "snapshot" }, extra: Partial<SessionOptions> = {}) {
  return openSession({ room: "r", gc: false, persistence: { store, name: "main/r", policy }, ...extra });
}

afterEach(async () => {
  await stopAll();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe("durable acks", () => {
  it("acks a connection's sync-step2/update messages, counted from 1, only after the append", async () => {
    const store = new ControlledStore();
    const session = await open(store);
    const a = connect(session, "a", true); // handshake: step 2 (#1) and the step 2 answering the server's step 1 (#2)
    await a.next(isType("durable-ack"));
    const hold = deferred();
    store.holdAppend = () => hold.promise;
    a.doc.getText("t").insert(0, "one"); // #3
    a.doc.getText("t").insert(3, "two"); // #4 — queued behind #3's append
    await Promise.resolve();
    const acksBefore = a.ofType("durable-ack").map((m) => m.count);
    expect(Math.max(...acksBefore)).toBe(2);
    store.holdAppend = null;
    hold.resolve();
    const ack = await a.next((m): m is { type: "durable-ack"; count: number } => isType("durable-ack")(m) && m.count === 4);
    expect(ack.count).toBe(4);
    const stored = new Y.Doc();
    Y.applyUpdate(stored, (await store.load("main/r"))!);
    expect(stored.getText("t").toString()).toBe("onetwo");
    // Acks only ever grow.
    const counts = a.ofType("durable-ack").map((m) => m.count);
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
  });

  it("hands each update to the store at once, not after the write in flight; the store merges what waits together", async () => {
    const store = new ControlledStore();
    const session = await open(store);
    const a = connect(session, "a", true);
    await a.next(isType("durable-ack"));
    const entriesBefore = (await store.stats("main/r")).updates;
    const hold = deferred();
    store.holdAppend = () => hold.promise;
    for (let i = 0; i < 20; i++) {
      a.doc.getText("t").insert(i, "x");
      await endOfRead(); // one burst each: 20 updates, the first one's write held
    }
    store.holdAppend = null;
    hold.resolve();
    const last = a.received();
    await a.next((m): m is { type: "durable-ack"; count: number } => isType("durable-ack")(m) && m.count === last);
    expect(store.appended).toHaveLength(20);
    // All 20 reached the store while the first was held, so they went out as one run: one merged log entry.
    expect((await store.stats("main/r")).updates - entriesBefore).toBe(1);
  });

  it("does not ack clients that did not opt in", async () => {
    const session = await open(new ControlledStore());
    const a = connect(session, "a", false);
    a.doc.getText("t").insert(0, "x");
    await session.whenDurable();
    await Promise.resolve();
    expect(a.ofType("durable-ack")).toHaveLength(0);
  });

  it("retries a failed append with backoff, logs it, and acks once it lands", async () => {
    const store = new ControlledStore();
    const { logger, next } = capturingLogger();
    const session = await open(store, { mode: "snapshot" }, { logger });
    const a = connect(session, "a", true);
    await a.next(isType("durable-ack"));
    store.failAppend = Object.assign(new Error("disk full"), { code: "ERR_STORAGE_WRITE" });
    const warned = next("yjs.append_failed");
    a.doc.getText("t").insert(0, "saved later");
    expect(await warned).toMatchObject({ code: "ERR_STORAGE_WRITE", doc: "main/r", attempt: 1 });
    store.failAppend = null;
    await a.next((m): m is { type: "durable-ack"; count: number } => isType("durable-ack")(m) && m.count === 3);
    const stored = new Y.Doc();
    Y.applyUpdate(stored, (await store.load("main/r"))!);
    expect(stored.getText("t").toString()).toBe("saved later");
  });
});

describe("persistence and compaction", () => {
  it("appends every applied update, and a new session loads what the last one stored", async () => {
    const store = new ControlledStore();
    const first = await open(store);
    const a = connect(first, "a");
    a.doc.getText("t").insert(0, "hello");
    await endOfRead();
    a.doc.getMap("m").set("k", 1);
    await first.whenDurable();
    expect((await store.stats("main/r")).updates).toBeGreaterThanOrEqual(2);
    first.detach(a);
    await first.stop();
    expect((await store.stats("main/r")).updates).toBe(1); // snapshot mode merges on unload
    const second = await open(store);
    expect(second.doc.getText("t").toString()).toBe("hello");
    expect(second.doc.getMap("m").get("k")).toBe(1);
  });

  it("answers a fresh client that asked while the room loaded with the stored state, then greets it; later fresh clients get the same bytes", async () => {
    const store = new MemoryDocStore();
    const source = new Y.Doc();
    source.getText("t").insert(0, "stored text");
    await store.append("main/r", Y.encodeStateAsUpdate(source));
    const session = new DocumentSession({
      room: "r",
      gc: true,
      logger: capturingLogger().logger,
      persistence: { store, name: "main/r", policy: { mode: "snapshot" } },
    });
    sessions.push(session);
    const early = new FakeClient(session, "early");
    clients.push(early);
    session.attach(early);
    early.handshake(); // its step 1 (empty state vector) waits for the load
    await session.load();
    expect(early.messages.map((m) => (typeof m === "string" ? m : m.type)).slice(0, 2)).toEqual(["sync-step2", "sync-step1"]);
    expect(early.doc.getText("t").toString()).toBe("stored text");
    expect(session.doc.getText("t").toString()).toBe("stored text");
    const late = connect(session, "late");
    expect(late.doc.getText("t").toString()).toBe("stored text");
    const step2Of = (client: FakeClient) => client.frames[client.messages.findIndex((m) => typeof m !== "string" && m.type === "sync-step2")];
    expect(step2Of(late)).toBe(step2Of(early)); // one frame, not encoded again
    // A change drops it: the next fresh client gets the new state.
    early.doc.getText("t").insert(0, "new ");
    await endOfRead();
    expect(connect(session, "later").doc.getText("t").toString()).toBe("new stored text");
  });

  it("snapshot mode also merges in the background once the log is long", async () => {
    const store = new ControlledStore();
    const session = await open(store);
    const a = connect(session, "a", true);
    const compacted = store.nextCompaction();
    for (let i = 0; i <= SNAPSHOT_COMPACT_UPDATES; i++) {
      a.doc.getText("t").insert(0, "x");
      await session.whenDurable(); // one append per update
    }
    await withTimeout(compacted, 5_000, "background compaction");
    expect((await store.stats("main/r")).updates).toBeLessThan(SNAPSHOT_COMPACT_UPDATES);
    expect(session.doc.getText("t").length).toBe(SNAPSHOT_COMPACT_UPDATES + 1);
  });

  it("a document larger than the byte limit is not merged again after every append (only what was appended counts)", async () => {
    const store = new ControlledStore();
    const big = new Y.Doc();
    big.getText("t").insert(0, "x".repeat(SNAPSHOT_COMPACT_BYTES + 100_000));
    await store.append("main/r", Y.encodeStateAsUpdate(big));
    const session = await open(store);
    const a = connect(session, "a", true);
    for (let i = 0; i < 20; i++) {
      a.doc.getText("t").insert(0, "y");
      await session.whenDurable();
    }
    // Before, each append past the first merge encoded the whole 4 MB document again.
    expect(store.compactions).toBe(0);
    expect((await store.stats("main/r")).updates).toBe(21);
    const compacted = store.nextCompaction();
    a.doc.getText("t").insert(0, "z".repeat(SNAPSHOT_COMPACT_BYTES + 1));
    await session.whenDurable();
    await withTimeout(compacted, 5_000, "background compaction once 4 MB were appended");
    expect(store.compactions).toBe(1);
  });

  it("an update applied in slices is stored as one entry once it is all in, with no merge meanwhile", async () => {
    const store = new ControlledStore();
    const session = await open(store, { mode: "snapshot" }, { gc: true, limits: { ...YJS_LIMITS, structsPerTurn: 1 } });
    const a = connect(session, "a", true);
    const mergesAtAppend: number[] = [];
    const append = store.append.bind(store);
    store.append = (name, update, options) => (mergesAtAppend.push(store.compactions), append(name, update, options));
    // Four values of 2 MB in one update: four slices. Before, each slice was appended (and a merge started between
    // them, the log past SNAPSHOT_COMPACT_BYTES after the second: it encodes the whole document in one turn).
    a.doc.transact(() => {
      for (const key of ["w", "x", "y", "z"]) a.doc.getMap("m").set(key, new Uint8Array(SNAPSHOT_COMPACT_BYTES / 2));
    });
    await withTimeout(session.whenDurable(), 5_000, "the update to be stored");
    expect(mergesAtAppend).toEqual([0]);
    expect(store.compactions).toBe(0);
    expect((await store.stats("main/r")).updates).toBe(1);
    expect((session.doc.getMap("m").get("z") as Uint8Array).byteLength).toBe(SNAPSHOT_COMPACT_BYTES / 2);
  });

  it("history mode keeps the log until it passes maxUpdates, then merges it", async () => {
    const store = new ControlledStore();
    const session = await open(store, { mode: "history", maxUpdates: 5, maxBytes: 10_000_000 });
    const a = connect(session, "a");
    for (let i = 0; i < 5; i++) {
      a.doc.getText("t").insert(0, String(i));
      await session.whenDurable();
    }
    expect((await store.stats("main/r")).updates).toBe(5);
    expect(store.compactions).toBe(0);
    const compacted = store.nextCompaction();
    a.doc.getText("t").insert(0, "!");
    await session.whenDurable();
    await withTimeout(compacted, 5_000, "history compaction");
    expect((await store.stats("main/r")).updates).toBe(1);
    session.detach(a);
    await session.stop();
    const again = await open(store, { mode: "history", maxUpdates: 5, maxBytes: 10_000_000 });
    expect(again.doc.getText("t").toString()).toBe("!43210");
  });
});

describe("change callback", () => {
  it("calls the handler once per burst of edits, debounced per room", async () => {
    const calls: string[] = [];
    const called = deferred();
    const session = await open(
      new ControlledStore(),
      { mode: "snapshot" },
      {
        callback: {
          handler: (doc) => {
            calls.push(doc.getText("t").toString());
            called.resolve();
          },
          debounceWait: 30,
          debounceMaxWait: 1_000,
        },
      },
    );
    const a = connect(session, "a");
    for (const ch of "abc") a.doc.getText("t").insert(a.doc.getText("t").length, ch);
    await withTimeout(called.promise, 2_000, "handler");
    expect(calls).toEqual(["abc"]);
  });

  it("POSTs y-partykit's body to the URL, retrying failures with backoff and logging them", async () => {
    const bodies: unknown[] = [];
    let requests = 0;
    const delivered = deferred();
    const server = createHttpServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        requests++;
        if (requests < 3) return void res.writeHead(500).end("try again");
        bodies.push({ body: JSON.parse(body), auth: req.headers.authorization });
        res.writeHead(200).end("ok");
        delivered.resolve();
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const { logger, entries } = capturingLogger();
    const session = await open(
      new ControlledStore(),
      { mode: "snapshot" },
      {
        logger,
        callback: { url, headers: { authorization: "Bearer s3cret" }, objects: { t: "Text", m: "Map" }, debounceWait: 10, debounceMaxWait: 100 },
      },
    );
    const a = connect(session, "a");
    a.doc.getText("t").insert(0, "hi");
    a.doc.getMap("m").set("n", 2);
    await withTimeout(delivered.promise, 10_000, "callback delivery");
    expect(bodies).toEqual([
      { body: { room: "r", data: { t: { type: "Text", content: "hi" }, m: { type: "Map", content: { n: 2 } } } }, auth: "Bearer s3cret" },
    ]);
    const retries = entries.filter((e) => e.event === "yjs.callback_retry");
    expect(retries.map((e) => e.attempt)).toEqual([1, 2]);
    expect(retries[0]).toMatchObject({ code: "ERR_CALLBACK_FAILED", room: "r", failure: expect.stringContaining("HTTP 500") });
  });
});
