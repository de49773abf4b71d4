/**
 * Cutting an update into slices (src/protocol/update-slices.ts): applied one after another, the slices must change a
 * document exactly as the whole does, each must hold at most the parts asked for, and none may leave anything waiting
 * when the whole leaves nothing waiting (a slice that waits would be refused or parked by the room). Documents here
 * skip Yjs's formatting cleanup, as the room does for slices (src/yjs/slicing.ts): judged on half an update, it
 * deletes formatting marks the whole keeps.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { readUpdateShape } from "../../src/protocol/update-format.js";
import { sliceUpdate } from "../../src/protocol/update-slices.js";
import { skipFormattingCleanup } from "../../src/yjs/slicing.js";
import { honestEditorRun, sortedContentOf } from "../yjs/support/honest-editors.js";
import { loadTrace, typeTransactions } from "../yjs/support/trace.js";

/** A document that, as the room's while it applies slices, leaves formatting cleanup to others. */
function roomDoc(gc: boolean): Y.Doc {
  const doc = new Y.Doc({ gc });
  doc.on("afterTransaction", skipFormattingCleanup);
  return doc;
}

/** Applies `slices` in order to a copy of `base` (a state), checking each one's size and that nothing waits after it. */
function applySlices(base: Uint8Array | null, slices: readonly Uint8Array[], maxParts: number, gc = true): Y.Doc {
  const doc = roomDoc(gc);
  if (base) Y.applyUpdate(doc, base);
  for (const slice of slices) {
    const shape = readUpdateShape(slice);
    if (typeof shape === "string") throw new Error(shape);
    expect(shape.parts).toBeLessThanOrEqual(maxParts);
    expect(shape.outOfOrder).toBe(false);
    Y.applyUpdate(doc, slice);
    expect(doc.store.pendingStructs).toBeNull();
    expect(doc.store.pendingDs).toBeNull();
  }
  return doc;
}

function applyWhole(base: Uint8Array | null, update: Uint8Array, gc = true): Y.Doc {
  const doc = roomDoc(gc);
  if (base) Y.applyUpdate(doc, base);
  Y.applyUpdate(doc, update);
  return doc;
}

function slices(update: Uint8Array, maxParts: number): Uint8Array[] {
  const sliced = sliceUpdate(update, maxParts);
  if (typeof sliced === "string") throw new Error(sliced);
  return sliced;
}

describe("sliceUpdate", () => {
  it("an update within the limit is itself; bytes that are no update say why", () => {
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "hello");
    const update = Y.encodeStateAsUpdate(doc);
    expect(sliceUpdate(update, 10)).toEqual([update]);
    expect(sliceUpdate(update.subarray(0, update.length - 3), 10)).toEqual(expect.any(String));
    expect(() => sliceUpdate(update, 0)).toThrow(RangeError);
  });

  it("a typed trace (one client, thousands of structs and deleted ranges): slices equal the whole", () => {
    const doc = new Y.Doc();
    typeTransactions(doc.getText("text"), loadTrace("sveltecomponent").txns.slice(0, 4_000));
    const update = Y.encodeStateAsUpdate(doc);
    const parts = (readUpdateShape(update) as { parts: number }).parts;
    for (const maxParts of [1, 7, 500]) {
      const sliced = slices(update, maxParts);
      expect(sliced.length).toBe(Math.ceil(parts / maxParts));
      const applied = applySlices(null, sliced, maxParts);
      expect(applied.getText("text").toString()).toBe(doc.getText("text").toString());
      expect(Y.encodeStateAsUpdate(applied)).toEqual(Y.encodeStateAsUpdate(applyWhole(null, update)));
    }
  });

  it("honest editors (many clients referring to one another, types, formats, undos): slices equal the whole, nothing waits", () => {
    for (const seed of [2, 9]) {
      const run = honestEditorRun({ editors: 4, edits: 150, seed, undo: 0.2 });
      for (const gc of [true, false]) {
        const room = roomDoc(gc);
        for (const { updates } of run.deliveries) for (const update of updates) Y.applyUpdate(room, update);
        // A first sync of the whole room, and each delivery against the room as it was (part of it known).
        const whole = Y.encodeStateAsUpdate(room);
        const expected = sortedContentOf(applyWhole(null, whole, gc));
        for (const maxParts of [3, 50]) {
          const sliced = applySlices(null, slices(whole, maxParts), maxParts, gc);
          expect(Y.encodeStateAsUpdate(sliced)).toEqual(Y.encodeStateAsUpdate(applyWhole(null, whole, gc)));
          expect(sortedContentOf(sliced)).toEqual(expected);
        }
        const replay = roomDoc(gc);
        for (const { updates } of run.deliveries) {
          for (const update of updates) {
            const before = Y.encodeStateAsUpdate(replay);
            Y.applyUpdate(replay, update);
            const whole = applyWhole(before, update, gc);
            if (whole.store.pendingStructs !== null) continue;
            const sliced = applySlices(before, slices(update, 4), 4, gc);
            expect(Y.encodeStateAsUpdate(sliced)).toEqual(Y.encodeStateAsUpdate(whole));
            expect(sortedContentOf(sliced)).toEqual(sortedContentOf(whole));
          }
        }
      }
    }
  });

  it("an update part of which waits: the slices leave waiting what the whole leaves, and take the rest", () => {
    const author = new Y.Doc();
    author.getText("t").insert(0, "abc");
    const first = Y.encodeStateAsUpdate(author);
    const other = new Y.Doc();
    Y.applyUpdate(other, first);
    other.getText("t").insert(3, "def");
    other.getMap("m").set("k", 1);
    const update = Y.encodeStateAsUpdate(other, Y.encodeStateVector(author)); // lacks "abc": its "def" waits
    const whole = applyWhole(null, update);
    const doc = new Y.Doc();
    for (const slice of slices(update, 1)) Y.applyUpdate(doc, slice);
    expect(doc.getMap("m").toJSON()).toEqual(whole.getMap("m").toJSON());
    expect(doc.store.pendingStructs).not.toBeNull();
    Y.applyUpdate(doc, first);
    Y.applyUpdate(whole, first);
    expect(doc.getText("t").toString()).toBe("abcdef");
    expect(Y.encodeStateAsUpdate(doc)).toEqual(Y.encodeStateAsUpdate(whole));
  });
});
