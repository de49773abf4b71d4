/**
 * `durability`: with "strict", a change reaches the room's other connections, and a sync step 2 answer that holds it
 * reaches a new one, only once the store has it; with "fast" (the default) at once. The sender's ack is the same.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { encodeUpdate } from "../../src/protocol/index.js";
import type { Durability } from "../../src/runtime/document-storage.js";
import { handleDocumentRequest } from "../../src/yjs/http-api.js";
import { ControlledStore } from "./support/controlled-store.js";
import { endOfRead, isType } from "./support/fake-client.js";
import { connect, openSession, stopAll } from "./support/sessions.js";

const releases: Array<() => void> = [];
afterEach(async () => {
  for (const release of releases.splice(0)) release();
  await stopAll();
});

/** A session on a store whose appends wait until `release()` (after each test at the latest: stop waits for them). */
async function heldStore(durability: Durability) {
  const store = new ControlledStore();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const session = await openSession({ room: "r", gc: true, durability, persistence: { store, name: "p/r", policy: { mode: "snapshot" } } });
  store.holdAppend = () => released;
  releases.push(release);
  return { session, release };
}

describe("durability", () => {
  it('"fast" lets the store hold its appends briefly to share a commit (lazy); "strict" never', async () => {
    for (const [durability, lazy] of [
      ["fast", true],
      ["strict", undefined],
    ] as const) {
      const store = new ControlledStore();
      const session = await openSession({
        room: `lazy-${durability}`,
        gc: true,
        durability,
        persistence: { store, name: `p/${durability}`, policy: { mode: "snapshot" } },
      });
      const writer = connect(session, "writer", true);
      await endOfRead();
      writer.doc.getText("t").insert(0, "x");
      await writer.next((m): m is { type: "durable-ack"; count: number } => isType("durable-ack")(m) && m.count === writer.received());
      expect(store.appendOptions.length).toBeGreaterThan(0);
      for (const options of store.appendOptions) expect(options?.lazy).toBe(lazy);
    }
  });

  it('"strict": others get a change, and a newcomer its step 2, only once it is stored; the sender its ack then too', async () => {
    const { session, release } = await heldStore("strict");
    const writer = connect(session, "writer", true);
    const other = connect(session, "other");
    await endOfRead();
    writer.doc.getText("t").insert(0, "kept");
    await endOfRead();
    const newcomer = connect(session, "newcomer");
    await endOfRead();
    expect(session.doc.getText("t").toString()).toBe("kept"); // applied…
    expect(other.doc.getText("t").toString()).toBe(""); // …but nobody has seen it
    expect(newcomer.doc.getText("t").toString()).toBe("");
    const sent = writer.received();
    expect(writer.ofType("durable-ack").every((ack) => ack.count < sent)).toBe(true);

    const seen = Promise.all([
      other.next(isType("update")),
      newcomer.next(isType("sync-step2")),
      writer.next((m): m is { type: "durable-ack"; count: number } => isType("durable-ack")(m) && m.count === sent),
    ]);
    release();
    await seen;
    expect(other.doc.getText("t").toString()).toBe("kept");
    expect(newcomer.doc.getText("t").toString()).toBe("kept");
  });

  it("an empty update right behind a change (one socket read) is acked only once that change is stored", async () => {
    const { session, release } = await heldStore("fast");
    const writer = connect(session, "writer", true);
    await endOfRead();
    const before = writer.ofType("durable-ack").length;
    const change = new Y.Doc();
    change.getText("t").insert(0, "held");
    session.receive(writer, encodeUpdate(Y.encodeStateAsUpdate(change)));
    session.receive(writer, encodeUpdate(new Uint8Array([0, 0])));
    await endOfRead();
    // The change waits for its append; the empty update's ack would say it is stored (it acked at once before)
    expect(writer.ofType("durable-ack").slice(before)).toEqual([]);
    release();
    const ack = await writer.next((m): m is { type: "durable-ack"; count: number } => isType("durable-ack")(m) && m.count >= 3);
    expect(ack.count).toBe(3);
  });

  it('"strict": an HTTP read answers with a change only once it is stored', async () => {
    const { session, release } = await heldStore("strict");
    const writer = connect(session, "writer");
    await endOfRead();
    writer.doc.getText("t").insert(0, "kept");
    await endOfRead();
    let answered = false;
    const access = { live: () => session, stored: async () => true, open: async () => session, readOnly: () => false };
    const reading = handleDocumentRequest(new Request("http://127.0.0.1/parties/main/r"), access).then((response) => {
      answered = true;
      return response.json();
    });
    await endOfRead();
    expect(answered).toBe(false);
    release();
    expect(await reading).toEqual({ t: "kept" });
  });

  it('"fast" (the default): others get a change while its write is in flight', async () => {
    const { session, release } = await heldStore("fast");
    const writer = connect(session, "writer");
    const other = connect(session, "other");
    await endOfRead();
    writer.doc.getText("t").insert(0, "early");
    await endOfRead();
    expect(other.doc.getText("t").toString()).toBe("early");
    release();
  });
});
