/**
 * Seeded fuzzing of the decoder and the room: thousands of malformed, mutated and random frames. The room
 * must never throw, must close a refusing connection with 1007, must leave the document exactly as it was
 * for every refused frame, and must keep serving real clients afterwards.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import * as encoding from "lib0/encoding";
import * as awarenessProtocol from "y-protocols/awareness";
import { CloseCode, encodeAwareness, encodeSyncStep1, encodeSyncStep2, encodeUpdate } from "../../src/protocol/index.js";
import { silentLogger } from "../../src/runtime/log.js";
import { DocumentSession } from "../../src/yjs/session.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";
import { FakeClient } from "./support/fake-client.js";
import { destroyProviders, makeProvider, until, whenSynced } from "./support/providers.js";
import { seededRandom } from "./support/trace.js";

const FRAMES = 5_000;
const SOCKET_FRAMES = 300;

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

/** Valid frames to mutate: updates, step 1/2, awareness, query. */
function seedFrames(): Array<Uint8Array | string> {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, "seed text");
  doc.getMap("m").set("k", [1, 2, { x: "y" }]);
  const awareness = new awarenessProtocol.Awareness(doc);
  awareness.setLocalState({ user: { name: "fuzz" } });
  const frames = [
    encodeUpdate(Y.encodeStateAsUpdate(doc)),
    encodeSyncStep2(Y.encodeStateAsUpdate(doc)),
    encodeSyncStep1(Y.encodeStateVector(doc)),
    encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID])),
    Uint8Array.of(3),
    "__YPS:hello",
    'y-pk-batch#{"type":"start","id":"a","size":10,"count":1}',
  ];
  awareness.destroy();
  return frames;
}

function makeFrame(random: () => number, seeds: Array<Uint8Array | string>): Uint8Array | string {
  const int = (n: number) => Math.floor(random() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const seed = seeds[int(seeds.length)]!;
  switch (int(7)) {
    case 0:
      return bytes(int(48));
    case 1: {
      if (typeof seed === "string") return seed.slice(0, int(seed.length + 1)) + String.fromCharCode(int(128));
      const copy = Uint8Array.from(seed);
      for (let i = 0, n = 1 + int(4); i < n && copy.length > 0; i++) copy[int(copy.length)] = int(256);
      return copy;
    }
    case 2:
      return typeof seed === "string" ? seed.slice(0, int(seed.length)) : seed.subarray(0, int(seed.length));
    case 3: {
      // A well-formed envelope around a random payload.
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, int(5));
      encoding.writeVarUint(e, int(4));
      encoding.writeVarUint8Array(e, bytes(int(40)));
      return encoding.toUint8Array(e);
    }
    case 4: {
      // Awareness entries whose state is random text (usually not JSON).
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, 1 + int(2));
      encoding.writeVarUint(e, int(1000));
      encoding.writeVarUint(e, int(10));
      encoding.writeVarString(e, Buffer.from(bytes(int(12))).toString("latin1"));
      return encodeAwareness(encoding.toUint8Array(e));
    }
    case 5:
      return typeof seed === "string" ? seed : Uint8Array.from([...seed, ...bytes(1 + int(4))]);
    default:
      return `y-pk-batch#${Buffer.from(bytes(int(20))).toString("latin1")}`;
  }
}

describe("fuzz", () => {
  it(`room core: ${FRAMES} seeded frames — refused ones change nothing and close with 1007, nothing throws`, async () => {
    const random = seededRandom(20261123);
    const session = new DocumentSession({ room: "fuzz", gc: true, logger: silentLogger() });
    await session.load();
    const good = new FakeClient(session, "good");
    session.attach(good);
    good.handshake();
    good.doc.getText("t").insert(0, "must survive");
    const seeds = seedFrames();
    let refused = 0;
    let attacker = new FakeClient(session, "attacker-0");
    session.attach(attacker);
    for (let i = 0; i < FRAMES; i++) {
      const before = Y.encodeStateAsUpdate(session.doc);
      const frame = makeFrame(random, seeds);
      expect(() => session.receive(attacker, frame)).not.toThrow();
      if (attacker.closed) {
        refused++;
        expect(attacker.closed.code).toBe(CloseCode.InvalidMessage);
        expect(Y.encodeStateAsUpdate(session.doc)).toEqual(before);
        attacker.destroy();
        attacker = new FakeClient(session, `attacker-${i + 1}`);
        session.attach(attacker);
      }
    }
    expect(refused).toBeGreaterThan(FRAMES / 4);
    expect(session.doc.getText("t").toString()).toContain("must survive");
    // Insert next to the kept text, wherever concurrent seed inserts landed (their order depends on client ids).
    const goodText = good.doc.getText("t");
    goodText.insert(goodText.toString().indexOf("must survive"), "still ");
    expect(session.doc.getText("t").toString()).toContain("still must survive");
    expect(good.closed).toBeUndefined();
    attacker.destroy();
    good.destroy();
    await session.stop();
  }, 60_000);

  it(`real server: ${SOCKET_FRAMES} seeded frames over sockets, then real clients in the same and another room still work`, async () => {
    const server = await startServer({ main: DocumentParty });
    const doc = new Y.Doc();
    const provider = makeProvider("y-websocket", server.url, "main", "target", doc);
    await whenSynced(provider);
    doc.getText("t").insert(0, "kept");
    const random = seededRandom(7);
    const seeds = seedFrames();
    let closedWith1007 = 0;
    for (let sent = 0; sent < SOCKET_FRAMES; ) {
      const client = connect(server.wsUrl("/parties/main/target"));
      await client.opened;
      let closed = false;
      void client.closed.then(() => (closed = true));
      // Frames until the server closes us (or a batch of 20 went through).
      for (let n = 0; n < 20 && !closed && sent < SOCKET_FRAMES; n++, sent++) client.send(makeFrame(random, seeds));
      client.send(Uint8Array.of(3)); // a query: answered only if the connection survived
      const outcome = await Promise.race([client.closed, client.next().then(() => client.close())]);
      if (outcome.code === CloseCode.InvalidMessage) closedWith1007++;
    }
    expect(closedWith1007).toBeGreaterThan(5);
    doc.getText("t").insert(4, "!");
    const other = new Y.Doc();
    await whenSynced(makeProvider("y-partykit", server.url, "main", "target", other));
    await until(other, (d) => d.getText("t").toString().includes("kept!"), "same room still serves");
    const fresh = new Y.Doc();
    const elsewhere = makeProvider("y-partyserver", server.url, "main", "elsewhere", fresh);
    await whenSynced(elsewhere);
    fresh.getText("t").insert(0, "ok");
    const res = await fetch(`${server.url}/parties/main/target`);
    expect(res.status).toBe(200);
  }, 60_000);
});
