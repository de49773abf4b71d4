import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { concatUpdates } from "../../src/protocol/update-concat.js";
import { updateFormatError } from "../../src/protocol/update-format.js";
import { entriesOfRun } from "../../persistence/append-entries.js";
import { seededRandom } from "../yjs/support/trace.js";

/** What a document holds once `updates` are applied to it: the state Yjs would send, and the JSON a reader sees. */
function outcome(updates: readonly Uint8Array[]): { state: Uint8Array; json: unknown } {
  const doc = new Y.Doc();
  for (const update of updates) Y.applyUpdate(doc, update);
  const json = { text: doc.getText("text").toDelta(), map: doc.getMap("map").toJSON(), list: doc.getArray("list").toJSON() };
  return { state: Y.encodeStateAsUpdate(doc), json };
}

/**
 * A room's editing as a sequence of updates: typists that each apply what the others sent before typing, so that
 * their inserts name one another's items, delete them, format them and set map keys (every kind of list a run holds).
 */
function roomUpdates(seed: number, typists: number, steps: number): { client: number; update: Uint8Array }[] {
  const random = seededRandom(seed);
  const docs = Array.from({ length: typists }, (_, i) => {
    const doc = new Y.Doc();
    doc.clientID = 1000 + i * 7 + Math.floor(random() * 5);
    return doc;
  });
  const sent: { client: number; update: Uint8Array }[] = [];
  for (let step = 0; step < steps; step++) {
    const doc = docs[Math.floor(random() * typists)]!;
    // Catch up on some of what was sent (a typist sees the room a little late).
    for (const { update } of sent.slice(0, Math.floor(random() * (sent.length + 1)))) Y.applyUpdate(doc, update);
    const text = doc.getText("text");
    let update: Uint8Array | undefined;
    const keep = (emitted: Uint8Array, origin: unknown): void => void (origin === null && (update = emitted));
    doc.on("update", keep);
    const pick = random();
    if (pick < 0.5 || text.length === 0) text.insert(Math.floor(random() * (text.length + 1)), `w${step} `);
    else if (pick < 0.7) text.delete(Math.floor(random() * text.length), 1 + Math.floor(random() * Math.min(3, text.length)) - 1 || 1);
    else if (pick < 0.8) text.format(0, Math.min(2, text.length), { bold: random() < 0.5 ? true : null });
    else if (pick < 0.9) doc.getMap("map").set(`k${Math.floor(random() * 4)}`, step);
    else doc.getArray("list").insert(0, [step, { at: step }]);
    doc.off("update", keep);
    // What the typist's editor sends: its transaction's update (its own structs and deletions).
    if (update) sent.push({ client: doc.clientID, update });
  }
  return sent;
}

describe("concatUpdates: updates of different clients joined by their bytes", () => {
  it("makes what Y.mergeUpdates makes of a run, for thousands of runs of random rooms (the oracle: Yjs applying both)", () => {
    let joined = 0;
    let refused = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const updates = roomUpdates(seed, 3 + (seed % 6), 80);
      const random = seededRandom(seed * 31);
      for (let start = 0; start < updates.length; ) {
        // Most runs of different typists (the common case), some with one typist twice (refused).
        const length = 2 + Math.floor(random() * 4);
        const run = updates.slice(start, start + 1);
        for (const next of updates.slice(start + 1)) {
          if (run.length === length || (random() < 0.9 && run.some((sent) => sent.client === next.client))) break;
          run.push(next);
        }
        start += run.length;
        if (run.length === 1) continue;
        const bytes = run.map((sent) => sent.update);
        const result = concatUpdates(bytes);
        if (process.env.SHOW) console.log(run.length, result ? "joined" : "refused");
        const structClients = bytes.flatMap((update) => [...new Set(Y.decodeUpdate(update).structs.map((struct) => struct.id.client))]);
        if (result === undefined) {
          refused++;
          continue;
        }
        joined++;
        // Joined only when no client has structs in two of them.
        expect(new Set(structClients).size).toBe(structClients.length);
        expect(updateFormatError(result)).toBeUndefined();
        // Applied after everything before the run, and alone: the same as Yjs's own merge, both ways.
        const before = updates.slice(0, start - run.length).map((sent) => sent.update);
        expect(outcome([...before, result])).toEqual(outcome([...before, Y.mergeUpdates(bytes)]));
        expect(outcome([result])).toEqual(outcome([Y.mergeUpdates(bytes)]));
        expect(Y.decodeUpdate(result)).toEqual(Y.decodeUpdate(Y.mergeUpdates(bytes)));
      }
    }
    expect(joined).toBeGreaterThan(600);
    expect(refused).toBeGreaterThan(40);
  });

  it("refuses a run where a client has structs or deleted ranges in two updates, and one that is not a whole update", () => {
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on("update", (update: Uint8Array) => updates.push(update));
    doc.getText("text").insert(0, "ab");
    doc.getText("text").insert(2, "cd");
    expect(concatUpdates(updates)).toBeUndefined();

    // Two other clients' updates that delete the same client's items: their delete sets share that client.
    const deleters = [new Y.Doc(), new Y.Doc()];
    const deletions = deleters.map((other, i) => {
      Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
      const before = Y.encodeStateVector(other);
      other.getText("text").delete(i, 1);
      return Y.encodeStateAsUpdate(other, before);
    });
    expect(concatUpdates(deletions)).toBeUndefined();

    expect(concatUpdates([updates[0]!, updates[1]!.subarray(0, updates[1]!.length - 3)])).toBeUndefined();
  });

  it("keeps each list's bytes and lists clients as Yjs does, highest first", () => {
    const docs = [5, 900, 42].map((clientID) => {
      const doc = new Y.Doc();
      doc.clientID = clientID;
      doc.getText("text").insert(0, `from ${clientID}`);
      return Y.encodeStateAsUpdate(doc);
    });
    const result = concatUpdates(docs)!;
    expect(Y.decodeUpdate(result).structs.map((struct) => struct.id.client)).toEqual([900, 42, 5]);
    expect(result.byteLength).toBe(docs.reduce((sum, update) => sum + update.byteLength, 0) - 2 * 2);
  });
});

describe("entriesOfRun", () => {
  it("joins typists' appends without Yjs and merges a typist's own through it, to the same document", () => {
    const updates = roomUpdates(7, 4, 40).map((sent) => sent.update);
    for (let size = 2; size <= 6; size++) {
      const run = updates.slice(size, size * 2);
      const entries = entriesOfRun(run);
      expect(entries).toHaveLength(1);
      expect(outcome(entries)).toEqual(outcome([Y.mergeUpdates(run)]));
    }
  });
});
