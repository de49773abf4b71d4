/**
 * `mergeLogInTurns` (the load's merge, one entry per heavy-work piece: h112) against `mergeLog` (the merge it replaced
 * on load) as an oracle, on random logs past `mergeInDocAbove`: several clients' edits (text, map, array, deletes),
 * entries out of causal order (pending structs), repeated entries, and corrupt ones (cut short, random bytes, empty)
 * anywhere, beside or in place of an entry (the edits after it pending). Both must give the same document and name the same corrupt entries. (Held up: h114.)
 */
import { expect, test } from "vitest";
import * as Y from "yjs";
import { defaults } from "../../persistence/defaults.js";
import { type LogEntry, mergeLog, mergeLogInTurns } from "../../persistence/merge.js";
import { seededRandom as random } from "../helpers/seeded-random.js";

/** `count` updates made by three clients editing the same document, sometimes synced with each other. */
function edits(next: () => number, count: number): Uint8Array[] {
  const docs = [new Y.Doc({ gc: false }), new Y.Doc({ gc: false }), new Y.Doc({ gc: false })];
  const updates: Uint8Array[] = [];
  docs.forEach((doc, i) => {
    doc.clientID = 1000 + i;
    doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin !== "sync") updates.push(update);
    });
  });
  while (updates.length < count) {
    const doc = docs[Math.floor(next() * docs.length)]!;
    const text = doc.getText("t");
    const roll = next();
    if (roll < 0.35) text.insert(Math.floor(next() * (text.length + 1)), `w${updates.length} `);
    else if (roll < 0.5 && text.length > 0) {
      const at = Math.floor(next() * text.length);
      text.delete(at, Math.min(1 + Math.floor(next() * 6), text.length - at));
    } else if (roll < 0.65) doc.getMap("m").set(`k${Math.floor(next() * 5)}`, updates.length);
    else if (roll < 0.8) doc.getArray("a").insert(0, [updates.length, { at: updates.length }]);
    else if (roll < 0.88 && doc.getArray("a").length > 0) doc.getArray("a").delete(0, 1);
    else {
      const other = docs[Math.floor(next() * docs.length)]!;
      if (other !== doc) Y.applyUpdate(doc, Y.encodeStateAsUpdate(other, Y.encodeStateVector(doc)), "sync");
    }
  }
  return updates;
}

/** The log as stored after some mishaps: reordered neighbours, repeats, and entries `missing` or `corrupt`. */
function logOf(next: () => number, updates: Uint8Array[], mishap: "none" | "corrupt" | "missing"): LogEntry[] {
  const log = updates.slice();
  // Entries that never were stored (the room stores what waits for them as entries of their own: pending structs).
  if (mishap === "missing") log.splice(1 + Math.floor(next() * (log.length - 1)), 1 + Math.floor(next() * 2));
  for (let i = 0; i + 1 < log.length; i++) if (next() < 0.15) [log[i], log[i + 1]] = [log[i + 1]!, log[i]!];
  for (let i = 0; i < 4; i++) if (next() < 0.5) log.splice(Math.floor(next() * log.length), 0, log[Math.floor(next() * log.length)]!);
  if (mishap === "corrupt") {
    const damaged = [
      (update: Uint8Array) => update.slice(0, Math.max(1, Math.floor(update.length / 2))),
      () => Uint8Array.from({ length: 12 }, () => Math.floor(next() * 256)),
      () => new Uint8Array(0),
    ];
    for (let i = 1 + Math.floor(next() * 3); i > 0; i--) {
      const at = Math.floor(next() * log.length);
      // Beside the entry, or in its place (what came after it waits for it: pending structs).
      log.splice(at, next() < 0.5 ? 0 : 1, damaged[Math.floor(next() * damaged.length)]!(log[at]!));
    }
  }
  return log.map((update, clock) => ({ clock, update }));
}

/** What a document loaded from `merged` holds, pending structs included (they are stored and sent on). */
function contentOf(merged: Uint8Array | null) {
  if (merged === null) return null;
  const doc = new Y.Doc({ gc: false });
  Y.applyUpdate(doc, merged);
  return {
    text: doc.getText("t").toDelta(),
    map: doc.getMap("m").toJSON(),
    array: doc.getArray("a").toJSON(),
    stateVector: [...Y.decodeStateVector(Y.encodeStateVector(doc))].sort(([a], [b]) => a - b),
    pending: doc.store.pendingStructs !== null || doc.store.pendingDs !== null,
    /** Everything, deleted content and pending structs too, as Yjs encodes it. */
    encoded: Y.encodeStateAsUpdate(doc),
  };
}

test("random logs past mergeInDocAbove merge in turns exactly as mergeLog does: same document, same corrupt entries", async () => {
  const met = { corrupt: 0, pending: 0 };
  for (let seed = 1; seed <= 45; seed++) {
    const next = random(seed);
    const updates = edits(next, defaults.mergeInDocAbove + 1 + Math.floor(next() * 80));
    const log = logOf(next, updates, (["none", "corrupt", "missing"] as const)[seed % 3]!);
    const expected = mergeLog(log);
    const got = await mergeLogInTurns(log);
    expect(got.corrupt, `seed ${seed}`).toEqual(expected.corrupt);
    const content = contentOf(got.merged);
    expect(content, `seed ${seed}`).toEqual(contentOf(expected.merged));
    if (got.corrupt.length > 0) met.corrupt++;
    if (content?.pending && got.corrupt.length === 0) met.pending++;
  }
  // The cases the generator is for were met.
  expect(met.corrupt).toBeGreaterThan(5);
  expect(met.pending).toBeGreaterThan(5);
});
