import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import * as encoding from "lib0/encoding";
import {
  CloseCode,
  encodeAwareness,
  encodeCustomMessage,
  encodeDurableAck,
  encodeQueryAwareness,
  encodeUpdate,
  splitIntoChunks,
} from "../../src/protocol/index.js";
import { ControlledStore } from "./support/controlled-store.js";
import { DocumentSession, type SessionOptions } from "../../src/yjs/session.js";
import { READ_ONLY_REASON } from "../../src/yjs/defaults.js";
import { FakeClient, endOfRead, isType } from "./support/fake-client.js";
import { capturingLogger, clients, connect, openSession, sessions, stopAll } from "./support/sessions.js";

const open = (options: Partial<SessionOptions> = {}) => openSession({ room: "r1", gc: true, ...options });

afterEach(stopAll);

describe("DocumentSession protocol", () => {
  it("greets with sync step 1, answers step 1 with step 2, and syncs two clients", async () => {
    const session = await open();
    const a = connect(session, "a");
    expect(a.messages[0]).toMatchObject({ type: "sync-step1" });
    a.doc.getText("t").insert(0, "hello");
    const b = connect(session, "b");
    expect(b.doc.getText("t").toString()).toBe("hello");
    b.doc.getText("t").insert(5, " world");
    await endOfRead();
    expect(a.doc.getText("t").toString()).toBe("hello world");
    expect(session.doc.getText("t").toString()).toBe("hello world");
  });

  it("encodes each update once and sends the same bytes to every other connection, not back to its sender", async () => {
    const session = await open();
    const [a, b, c] = ["a", "b", "c"].map((id) => connect(session, id));
    await endOfRead();
    const before = [a!.frames.length, b!.frames.length, c!.frames.length];
    a!.doc.getText("t").insert(0, "x");
    await endOfRead();
    const [toA, toB, toC] = [a!, b!, c!].map((client, i) => client.frames.slice(before[i]));
    expect(toA).toHaveLength(0);
    expect(toB).toHaveLength(1);
    expect(toB![0]).toBe(toC![0]); // the very same Uint8Array
    expect(b!.doc.getText("t").toString()).toBe("x");
  });

  it("sends a lone update on as the very frame it came in (not encoded again); a burst of several goes as one frame", async () => {
    const session = await open();
    const [a, b, c] = ["a", "b", "c"].map((id) => connect(session, id)) as [FakeClient, FakeClient, FakeClient];
    await endOfRead();
    const typist = new Y.Doc();
    const updates: Uint8Array[] = [];
    typist.on("update", (update: Uint8Array) => updates.push(update));
    typist.getText("t").insert(0, "one");
    const frame = encodeUpdate(updates[0]!);
    session.receive(a, frame);
    await endOfRead();
    expect(b.frames.at(-1)).toBe(frame);
    expect(c.frames.at(-1)).toBe(frame);
    const before = b.frames.length;
    typist.getText("t").insert(3, " two");
    typist.getText("t").insert(7, " three");
    session.receive(a, encodeUpdate(updates[1]!));
    session.receive(a, encodeUpdate(updates[2]!));
    await endOfRead();
    expect(b.frames.length).toBe(before + 1);
    expect(b.frames.at(-1)).toBe(c.frames.at(-1));
    expect(b.doc.getText("t").toString()).toBe("one two three");
    expect(a.frames.some((sent) => sent === frame)).toBe(false);
  });

  it("a lone update sent on as received still lets server code's reaction to it reach everyone, after it", async () => {
    const session = await open();
    const [a, b] = ["a", "b"].map((id) => connect(session, id)) as [FakeClient, FakeClient];
    await endOfRead();
    const text = session.doc.getText("t");
    text.observe(() => {
      if (!session.doc.getMap("m").has("count")) session.doc.transact(() => session.doc.getMap("m").set("count", text.length));
    });
    const before = b.frames.length;
    a.doc.getText("t").insert(0, "abc");
    await endOfRead();
    expect(b.frames.length).toBe(before + 2); // the update as received, then the reaction
    expect(b.doc.getMap("m").get("count")).toBe(3);
    expect(a.doc.getMap("m").get("count")).toBe(3);
    a.doc.getText("t").insert(3, "d"); // the listener is back for the next change too
    await endOfRead();
    expect(b.doc.getText("t").toString()).toBe("abcd");
  });

  it("sends the sender what server code changed in reaction to its change (an observer's own transaction)", async () => {
    const session = await open();
    const a = connect(session, "a");
    await endOfRead();
    const map = session.doc.getMap("m");
    // Server code often keeps the change's origin on its reaction (for undo or attribution): still its own transaction
    map.observe((event) => {
      if (!map.has("seen")) session.doc.transact(() => map.set("seen", map.get("x")), event.transaction.origin);
    });
    // A listener writing into the burst's own transaction, as the server and as another replica (another client id)
    const replica = new Y.Doc();
    replica.getMap("m").set("replica", true);
    session.doc.on("beforeTransaction", (transaction: Y.Transaction) => {
      if (transaction.origin === null || map.has("before")) return;
      map.set("before", true);
      Y.applyUpdate(session.doc, Y.encodeStateAsUpdate(replica));
    });
    a.doc.getMap("m").set("x", 1);
    await endOfRead();
    expect(a.doc.getMap("m").toJSON()).toEqual({ x: 1, seen: 1, before: true, replica: true });
  });

  it("does echo a change to its sender when it let in changes held back as pending, which the sender lacks", async () => {
    const session = await open();
    const a = connect(session, "a");
    const b = connect(session, "b");
    await endOfRead();
    // b edits on top of a change the server has not seen yet (it reached b some other way): Yjs holds it pending
    const elsewhere = new Y.Doc();
    elsewhere.getText("t").insert(0, "base ");
    const base = Y.encodeStateAsUpdate(elsewhere);
    const edited = new Y.Doc();
    Y.applyUpdate(edited, base);
    edited.getText("t").insert(5, "more");
    session.receive(b, encodeUpdate(Y.encodeStateAsUpdate(edited, Y.encodeStateVectorFromUpdate(base))));
    await endOfRead();
    expect(session.doc.getText("t").toString()).toBe("");
    // a sends the missing change: the transaction's update carries b's edit too, and a must get it
    Y.applyUpdate(a.doc, base);
    await endOfRead();
    expect(session.doc.getText("t").toString()).toBe("base more");
    expect(a.doc.getText("t").toString()).toBe("base more");
  });

  it("applies a burst of updates from one connection as one change, and answers a step 1 in the same burst with all of it", async () => {
    const session = await open();
    const a = connect(session, "a", true);
    const b = connect(session, "b");
    await endOfRead();
    const changes: Uint8Array[] = [];
    session.doc.on("update", (update: Uint8Array) => changes.push(update));
    const before = b.frames.length;
    const text = a.doc.getText("t");
    for (let i = 0; i < 5; i++) text.insert(i, String(i)); // five update frames in one socket read
    const sent = a.received();
    const acked = a.next((m): m is { type: "durable-ack"; count: number } => isType("durable-ack")(m) && m.count === sent);
    // A step 1 from another connection in the same read must see all five.
    const late = new FakeClient(session, "late");
    clients.push(late);
    session.attach(late);
    late.handshake();
    expect(late.doc.getText("t").toString()).toBe("01234");
    expect(changes).toHaveLength(1); // one transaction for the five
    await endOfRead();
    expect(b.ofType("update").length).toBe(1); // one frame for the five
    expect(b.frames.length - before).toBe(1);
    expect(b.doc.getText("t").toString()).toBe("01234");
    // Durable acks still count every document message, the five included.
    await acked;
  });

  it("relays awareness, tracks each connection's client ids, removes them on detach and answers queries", async () => {
    const session = await open();
    const a = connect(session, "a");
    const b = connect(session, "b");
    a.awareness.setLocalStateField("user", { name: "Ann" });
    expect(b.awareness.getStates().get(a.doc.clientID)).toEqual({ user: { name: "Ann" } });
    expect(session.awareness.getStates().get(a.doc.clientID)).toEqual({ user: { name: "Ann" } });

    const c = connect(session, "c"); // a late joiner gets the current states on connect
    expect(c.awareness.getStates().get(a.doc.clientID)).toEqual({ user: { name: "Ann" } });

    const queried = c.frames.length;
    session.receive(c, encodeQueryAwareness());
    expect(c.messages.slice(queried)).toEqual([expect.objectContaining({ type: "awareness" })]);

    session.detach(a);
    expect(session.awareness.getStates().has(a.doc.clientID)).toBe(false);
    expect(b.awareness.getStates().has(a.doc.clientID)).toBe(false);
  });

  it("delivers custom messages to the handler and sends them to one or all", async () => {
    const received: Array<[string, string]> = [];
    const session = await open({ onCustomMessage: (conn, message) => received.push([conn.id, message]) });
    const a = connect(session, "a");
    const b = connect(session, "b");
    session.receive(a, encodeCustomMessage("ping"));
    session.receive(a, "not a custom message"); // other text is ignored
    expect(received).toEqual([["a", "ping"]]);
    session.sendCustomMessage(a, "to-a");
    session.broadcastCustomMessage("to-all-but-a", a);
    expect(a.frames.filter((f) => typeof f === "string")).toEqual(["__YPS:to-a"]);
    expect(b.frames.filter((f) => typeof f === "string")).toEqual(["__YPS:to-all-but-a"]);
  });

  it("reassembles y-partykit chunked frames", async () => {
    const session = await open();
    const a = connect(session, "a");
    const source = new Y.Doc();
    source.getText("t").insert(0, "chunked ".repeat(100));
    const frame = encodeUpdate(Y.encodeStateAsUpdate(source));
    const parts = splitIntoChunks(frame, 64);
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) session.receive(a, part);
    expect(session.doc.getText("t").toString()).toBe("chunked ".repeat(100));
    expect(a.closed).toBeUndefined();
  });

  it("read-only connections change nothing, reach no one, are told once, and keep awareness", async () => {
    const session = await open({ isReadOnly: (conn) => conn.id.startsWith("ro") });
    const writer = connect(session, "w");
    writer.doc.getText("t").insert(0, "base");
    const reader = connect(session, "ro1");
    expect(reader.doc.getText("t").toString()).toBe("base"); // reads work
    expect(reader.ofType("permission-denied")).toHaveLength(0); // an empty step 2 on connect is not a write

    const writerFrames = writer.frames.length;
    reader.doc.getText("t").insert(0, "evil ");
    reader.doc.getText("t").insert(0, "more ");
    expect(session.doc.getText("t").toString()).toBe("base");
    expect(writer.frames.length).toBe(writerFrames);
    expect(reader.ofType("permission-denied")).toEqual([{ type: "permission-denied", reason: READ_ONLY_REASON }]);
    expect(reader.closed).toBeUndefined();

    reader.awareness.setLocalStateField("cursor", 3);
    expect(writer.awareness.getStates().get(reader.doc.clientID)).toEqual({ cursor: 3 });
  });
});

describe("DocumentSession bad input", () => {
  const truncated = Uint8Array.of(0, 2, 200); // update whose length varint claims 200 bytes
  const unknownType = Uint8Array.of(42, 0);
  const garbageUpdate = encodeUpdate(Uint8Array.of(5, 200, 17, 3, 9, 9, 9));
  const badAwareness = (() => {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 1);
    encoding.writeVarUint(e, 7);
    encoding.writeVarUint(e, 1);
    encoding.writeVarString(e, "{not json");
    return encodeAwareness(encoding.toUint8Array(e));
  })();
  const cases: Array<[string, Uint8Array | string, string]> = [
    ["a truncated frame", truncated, "ERR_TRUNCATED"],
    ["an unknown message type", unknownType, "ERR_UNKNOWN_MESSAGE_TYPE"],
    ["a garbage update", garbageUpdate, "ERR_INVALID_UPDATE"],
    ["awareness with invalid JSON", badAwareness, "ERR_INVALID_AWARENESS"],
    ["a server-only message", encodeDurableAck(3), "ERR_UNEXPECTED_MESSAGE"],
    ["a bad batch marker", 'y-pk-batch#{"type":"end"', "ERR_BAD_BATCH"],
  ];

  for (const [what, frame, code] of cases) {
    it(`closes the sender of ${what} with 1007 (${code}), leaves the doc alone, others keep working`, async () => {
      const { logger, entries } = capturingLogger();
      const session = await open({ logger });
      const good = connect(session, "good");
      const bad = connect(session, "bad");
      good.doc.getText("t").insert(0, "kept");
      bad.awareness.setLocalStateField("name", "bad");
      const before = Y.encodeStateAsUpdate(session.doc);

      session.receive(bad, frame);
      await endOfRead(); // an update is checked right before it is applied, with the rest of its socket read

      expect(bad.closed?.code).toBe(CloseCode.InvalidMessage);
      expect(bad.closed?.reason).toMatch(new RegExp(`^${code}: `));
      expect(Buffer.byteLength(bad.closed!.reason!)).toBeLessThanOrEqual(123);
      expect(Y.encodeStateAsUpdate(session.doc)).toEqual(before);
      expect(entries).toContainEqual(expect.objectContaining({ event: "yjs.frame_refused", code, room: "r1", connection: "bad" }));
      // Its awareness state is gone for the others; the good client carries on.
      expect(good.awareness.getStates().has(bad.doc.clientID)).toBe(false);
      good.doc.getText("t").insert(4, "!");
      expect(session.doc.getText("t").toString()).toBe("kept!");
      expect(session.connectionCount).toBe(1);
    });
  }

  it("an observer that throws on a burst closes its sender with 1007, as a refused update, and the room carries on", async () => {
    const { logger, entries } = capturingLogger();
    const session = await open({ logger });
    const good = connect(session, "good");
    const bad = connect(session, "bad");
    await endOfRead();
    const text = session.doc.getText("t");
    const observer = () => {
      throw new Error("observer failed");
    };
    text.observe(observer);
    bad.doc.getText("t").insert(0, "a");
    bad.doc.getText("t").insert(1, "b");
    await endOfRead(); // the burst is applied in a microtask: the throw must not escape it
    expect(bad.closed?.code).toBe(CloseCode.InvalidMessage);
    expect(entries).toContainEqual(expect.objectContaining({ event: "yjs.frame_refused", code: "ERR_INVALID_UPDATE", connection: "bad" }));
    text.unobserve(observer);
    good.doc.getText("t").insert(0, "!");
    await endOfRead();
    expect(session.doc.getText("t").toString()).toBe("!ab");
  });
});

describe("DocumentSession load", () => {
  it("shares one load among connections that arrive before it finishes, and replays their frames", async () => {
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const session = new DocumentSession({
      room: "r",
      gc: true,
      logger: capturingLogger().logger,
      load: async () => {
        loads++;
        await gate;
        const seed = new Y.Doc();
        seed.getText("t").insert(0, "seed");
        return seed;
      },
    });
    sessions.push(session);
    const first = session.load();
    const second = session.load();
    const a = new FakeClient(session, "a");
    clients.push(a);
    session.attach(a);
    a.doc.getText("t").insert(0, "early "); // sent while loading: must wait, not vanish
    expect(a.frames).toHaveLength(0);
    release();
    await Promise.all([first, second]);
    expect(loads).toBe(1);
    expect(a.messages[0]).toMatchObject({ type: "sync-step1" });
    expect(session.doc.getText("t").toString()).toContain("early ");
    expect(session.doc.getText("t").toString()).toContain("seed");
  });

  it("a failed load closes waiting connections with 1013, destroys doc and awareness timer, and a new session retries; the store keeps the document from load to stop", async () => {
    const { logger, entries } = capturingLogger();
    const store = new ControlledStore();
    store.failLoad = new Error("disk on fire");
    const make = () => new DocumentSession({ room: "r", gc: true, logger, persistence: { store, name: "p/r", policy: { mode: "snapshot" } } });
    const session = make();
    const a = new FakeClient(session, "a");
    clients.push(a);
    session.attach(a);
    await expect(session.load()).rejects.toMatchObject({ code: "ERR_LOAD_FAILED" });
    expect(store.kept.get("p/r")).toBe(0); // the store may forget the document again
    expect(a.closed).toEqual({ code: CloseCode.TryAgainLater, reason: "room could not load; try again" });
    expect(session.state).toBe("failed");
    expect(session.doc.isDestroyed).toBe(true);
    expect((session.awareness as unknown as { _checkInterval: { _destroyed: boolean } })._checkInterval._destroyed).toBe(true);
    expect(entries).toContainEqual(expect.objectContaining({ event: "yjs.load_failed", code: "ERR_LOAD_FAILED", room: "r" }));

    store.failLoad = null;
    const retry = make();
    sessions.push(retry);
    await retry.load();
    expect(store.kept.get("p/r")).toBe(1); // kept while the room is live: the store need not read its log state again
    const b = connect(retry, "b");
    b.doc.getText("t").insert(0, "works");
    expect(retry.doc.getText("t").toString()).toBe("works");
    await retry.stop();
    expect(store.kept.get("p/r")).toBe(0);
  });
});
