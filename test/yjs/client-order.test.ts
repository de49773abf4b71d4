/**
 * Yjs writes an update's clients highest first, and applies one listed otherwise alike; but `Y.mergeUpdates`, with
 * which the store merges what it stored, silently drops structs of such an update (found by an adversarial run).
 * So the room never stores one as received (it stores its own encoding of the change), and a store holding one
 * from before is merged through a Y.Doc: after a reload the room still has every change it took.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { MemoryDocStore } from "../../persistence/index.js";
import { mergeLog } from "../../persistence/merge.js";
import { decodeStructs, encodeStructs } from "./support/struct-codec.js";
import { openSession, stopAll } from "./support/sessions.js";

afterEach(stopAll);

/** Two typists' text and a map key in one update, its clients listed lowest first; and a third typist's update. */
function updates(): { ascending: Uint8Array; other: Uint8Array; reference: Y.Doc } {
  const a = new Y.Doc();
  a.clientID = 10;
  a.getText("t").insert(0, "AAA");
  const b = new Y.Doc();
  b.clientID = 20;
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  b.getText("t").insert(1, "BB");
  b.getMap("m").set("x", 1);
  const raw = decodeStructs(Y.encodeStateAsUpdate(b));
  expect(raw.sections.map((section) => section.client)).toEqual([20, 10]); // as Yjs writes it
  const ascending = encodeStructs({ ...raw, sections: [...raw.sections].reverse() });
  const c = new Y.Doc();
  c.clientID = 15;
  c.getText("t").insert(0, "C");
  const other = Y.encodeStateAsUpdate(c);
  const reference = new Y.Doc();
  Y.applyUpdate(reference, ascending);
  Y.applyUpdate(reference, other);
  return { ascending, other, reference };
}

const contents = (doc: Y.Doc) => ({ t: doc.getText("t").toString(), m: doc.getMap("m").toJSON(), sv: [...Y.encodeStateVector(doc)] });

describe("an update whose clients are listed lowest first", () => {
  it("is taken, and a room reloaded from its history still has all of it", async () => {
    const { ascending, other, reference } = updates();
    expect(contents(reference).t).toBe("ABBAAC");
    const store = new MemoryDocStore();
    const persistence = { store, name: "main/order", policy: { mode: "history", maxUpdates: 50, maxBytes: 10_000_000 } } as const;
    const first = await openSession({ room: "order", gc: true, persistence });
    await first.applyUpdate(ascending);
    await first.applyUpdate(other);
    expect(contents(first.doc)).toEqual(contents(reference));
    await first.stop();
    expect((await store.stats("main/order")).updates).toBe(2); // history mode: the log is merged on load
    const reloaded = await openSession({ room: "order", gc: true, persistence });
    expect(contents(reloaded.doc)).toEqual(contents(reference));
  });

  it("stored as received by an older version: the log's merge keeps every struct of it, in either order", () => {
    const { ascending, other, reference } = updates();
    for (const log of [
      [ascending, other],
      [other, ascending],
    ]) {
      const { merged, corrupt } = mergeLog(log.map((update, clock) => ({ clock, update })));
      expect(corrupt).toEqual([]);
      const loaded = new Y.Doc();
      Y.applyUpdate(loaded, merged!);
      expect(contents(loaded)).toEqual(contents(reference));
    }
  });
});
