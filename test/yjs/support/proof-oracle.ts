/**
 * The proved concurrent-insert check (src/yjs/passed-tails.ts) held against the search it replaces: the room's
 * check, with the records the room wrote, beside the same check with no records (every item among concurrent ones
 * searched) on the same document, right before the room is offered the update. They must agree on everything the
 * walk reports; the one difference allowed is the proof placing an item the search gave up on (its budget, its
 * piece limits), and then the copy check (apply to a copy, reload, compare) must take the update. And every record
 * the room holds must be one the search agrees with, however it was written (an update, a retry of waiting structs):
 * the item its client would send next is judged alike.
 */
import * as Y from "yjs";
import { readUpdateShape, type UpdateShape } from "../../../src/protocol/update-format.js";
import { YDocumentView } from "../../../src/yjs/document-view.js";
import { passedTailsOf } from "../../../src/yjs/passed-tails.js";
import { reloadOrderError } from "../../../src/yjs/reload-order.js";
import { encodeStructs } from "./struct-codec.js";

export interface ProofJudgement {
  /** Items whose check the room proved instead of searching. */
  proved: number;
  /** The room's verdict: refused, left to the copy, waits, placed. */
  verdict: string;
  /** Why the proof and the search disagree, when they do (must never happen). */
  disagreement?: string;
}

/** The room's check of `update` on `doc` beside the search alone. */
export function judgeProof(doc: Y.Doc, update: Uint8Array): ProofJudgement {
  const room = new YDocumentView(doc, update);
  const withProof = readUpdateShape(update, room);
  const searched = readUpdateShape(update, new YDocumentView(doc, update, null));
  const judgement: ProofJudgement = { proved: room.proved, verdict: verdictOf(withProof) };
  if (JSON.stringify(withProof) === JSON.stringify(searched)) return judgement;
  const gaveUp =
    room.proved > 0 &&
    typeof withProof !== "string" &&
    typeof searched !== "string" &&
    withProof.scattered === 0 &&
    searched.scattered > 0 &&
    copyVerdict(doc, update) === "copy takes";
  if (!gaveUp) judgement.disagreement = `with the records ${JSON.stringify(withProof)}, searched ${JSON.stringify(searched)} (${room.proved} proved)`;
  return judgement;
}

/**
 * Judges, for clients whose record the room holds (and whose state it still is), the insert that client would send
 * next: one character after its last unit, naming no right origin. Every record not judged yet at its clock (`seen`,
 * kept by the caller across calls) is judged, and `others` more picked at random (a record judged once stays true:
 * what arrives later is in no earlier item's past; rejudging them all would grow with every client the run made).
 * Returns the disagreements and how many were judged.
 */
export function judgeRecords(doc: Y.Doc, seen: Map<number, number>, random: () => number, others = 4): { judged: number; disagreements: string[] } {
  const disagreements: string[] = [];
  let judged = 0;
  for (const [client, end] of passedTailsOf(doc)) {
    if (end !== Y.getState(doc.store, client) || (seen.get(client) === end && !(random() < others / seen.size))) continue;
    seen.set(client, end);
    const next = encodeStructs({
      sections: [
        {
          client,
          clock: end,
          structs: [{ kind: "item", origin: { client, clock: end - 1 }, rightOrigin: null, parent: null, parentSub: null, content: new Y.ContentString("z") }],
        },
      ],
      deletes: [],
    });
    judged++;
    const { disagreement } = judgeProof(doc, next);
    if (disagreement !== undefined) disagreements.push(`the record of client ${client} (ends at ${end}): ${disagreement}`);
  }
  return { judged, disagreements };
}

export function verdictOf(shape: UpdateShape | string): string {
  if (typeof shape === "string") return "refused";
  return shape.scattered > 0 ? "left to the copy" : shape.waits ? "waits" : "placed";
}

/** What the copy check says of `update` on `doc`'s lists, without what waits in it. */
export function copyVerdict(doc: Y.Doc, update: Uint8Array): string {
  const { store } = doc;
  const waiting = [store.pendingStructs, store.pendingDs] as const;
  store.pendingStructs = null;
  store.pendingDs = null;
  try {
    return reloadOrderError(doc, update) === undefined ? "copy takes" : "copy refuses";
  } catch {
    return "copy throws"; // plain Yjs throws half-way: the room's other checks refuse it
  } finally {
    [store.pendingStructs, store.pendingDs] = waiting;
  }
}
