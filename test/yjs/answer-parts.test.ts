/**
 * answerInParts: an answer cut into parts that each apply at once (nothing left pending on the client), none over
 * the limit but for a single struct larger than it, and that together make the document the whole answer makes.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { decodeMessage } from "../../src/protocol/index.js";
import { answerInParts, framesInParts } from "../../src/yjs/answer-parts.js";
import { Peer, attachOptions } from "../../src/yjs/peer.js";
import { waitFor } from "../helpers/server.js";

/** Several editors over time: each types after the others' paragraphs and edits theirs; some text is deleted. */
function editedByMany(gc: boolean, sessions = 12): Y.Doc {
  const doc = new Y.Doc({ gc });
  const fragment = doc.getXmlFragment("prosemirror");
  const notes = doc.getMap("notes");
  // Later sessions get higher client ids: Yjs's order (highest first) puts the newest first, the worst order to apply in.
  for (let session = 0; session < sessions; session++) {
    doc.clientID = 1_000 + session;
    const paragraph = new Y.XmlElement("paragraph");
    const text = new Y.XmlText();
    paragraph.insert(0, [text]);
    fragment.insert(fragment.length, [paragraph]);
    for (let i = 0; i < 20; i++) text.insert(text.length, `session ${session} line ${i}. `);
    for (let i = 0; i < fragment.length; i += 2) {
      const earlier = (fragment.get(i) as Y.XmlElement).get(0) as Y.XmlText;
      earlier.delete(3, 4);
      earlier.insert(5, `[${session}]`);
    }
    const nested = new Y.Map<unknown>();
    notes.set(`s${session}`, nested);
    nested.set("by", session);
    nested.set("blob", new Uint8Array(300 + session));
  }
  return doc;
}

function applyParts(target: Y.Doc, frames: Uint8Array[]): void {
  frames.forEach((frame, i) => {
    const message = decodeMessage(frame);
    // updates, then the step 2 that ends the answer
    expect(message.type).toBe(i === frames.length - 1 ? "sync-step2" : "update");
    if (message.type !== "update" && message.type !== "sync-step2") return;
    Y.applyUpdate(target, message.update);
    expect({ part: i, pending: target.store.pendingStructs !== null || target.store.pendingDs !== null }).toEqual({ part: i, pending: false });
  });
}

const sameDocument = (a: Y.Doc, b: Y.Doc) => {
  expect(Y.encodeStateVector(a)).toEqual(Y.encodeStateVector(b));
  expect(a.getXmlFragment("prosemirror").toString()).toBe(b.getXmlFragment("prosemirror").toString());
  expect(a.getMap("notes").toJSON()).toEqual(b.getMap("notes").toJSON());
};

describe("answerInParts", () => {
  for (const gc of [true, false]) {
    it(`cuts a whole document (gc ${gc}) into parts a fresh client applies one by one, none pending`, () => {
      const doc = editedByMany(gc);
      const whole = Y.encodeStateAsUpdate(doc).byteLength;
      const frames = answerInParts(doc, new Map(), 2_048)!;
      expect(frames.length).toBeGreaterThan(whole / 2_048);
      // Their structs take at most the limit; the frame's and the clients' headers (and the last part's deletions) add a little.
      for (const frame of frames) expect(frame.byteLength).toBeLessThanOrEqual(2_048 + 512);
      const client = new Y.Doc({ gc });
      applyParts(client, frames);
      sameDocument(client, doc);
    });
  }

  it("answers a client that has part of the document with what it lacks, in parts", () => {
    const doc = editedByMany(true, 12);
    const client = editedByMany(true, 6); // the same editors' first six sessions
    const frames = answerInParts(doc, Y.decodeStateVector(Y.encodeStateVector(client)), 1_024)!;
    expect(frames.length).toBeGreaterThan(1);
    applyParts(client, frames);
    sameDocument(client, doc);
  });

  it("keeps a struct larger than the limit whole, in a part of its own", () => {
    const doc = new Y.Doc();
    doc.getMap("m").set("small", 1);
    doc.getMap("m").set("big", new Uint8Array(10_000));
    doc.getMap("m").set("after", 2);
    const frames = answerInParts(doc, new Map(), 1_000)!;
    expect(frames.some((frame) => frame.byteLength > 10_000)).toBe(true);
    const client = new Y.Doc();
    applyParts(client, frames);
    expect(client.getMap("m").toJSON()).toEqual(doc.getMap("m").toJSON());
  });

  it("leaves a document with pending structs to the whole answer", () => {
    const source = new Y.Doc();
    source.getText("t").insert(0, "a");
    const first = Y.encodeStateAsUpdate(source);
    source.getText("t").insert(1, "b");
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(source, Y.encodeStateVectorFromUpdate(first)));
    expect(answerInParts(doc, new Map(), 1)).toBeUndefined();
  });

  it("goes out one part at a time through Peer.send, each once the connection has written all but 1 MiB before it", async () => {
    const sent: Uint8Array[] = [];
    let arrived = (): void => {};
    const conn = {
      id: "c",
      bufferedAmount: 0,
      send(data: Uint8Array | string) {
        sent.push(data as Uint8Array);
        this.bufferedAmount += (data as Uint8Array).byteLength;
        arrived();
      },
      close() {},
    };
    const sentCount = (count: number) => waitFor(new Promise<void>((resolve) => (arrived = () => sent.length >= count && resolve())), `frame #${count}`);
    const parts: Uint8Array[] = [1, 2, 3].map((i) => new Uint8Array(2 * 1024 * 1024).fill(i));
    const peer = new Peer(conn, attachOptions(false));
    // (identity, not toEqual: comparing megabytes element by element is slow)
    const order = () => sent.map((frame) => (frame === update ? "update" : parts.indexOf(frame)));
    const update = Uint8Array.of(0, 2, 1, 0);
    peer.send(framesInParts(parts));
    expect(order()).toEqual([0]); // the rest would count against the send-buffer cap, waiting in the socket
    peer.send(update); // not held behind the parts
    expect(order()).toEqual([0, "update"]);
    const third = sentCount(3);
    conn.bufferedAmount = 1024 * 1024; // written down to the mark
    await third;
    const fourth = sentCount(4);
    conn.bufferedAmount = 0;
    await fourth;
    expect(order()).toEqual([0, "update", 1, 2]);
  });
});
