/**
 * A burst's transaction tells the arrival table which clients it may add structs of (`Arrivals.addsOnly`), so the
 * table looks at those only instead of the document's whole state vector. The table must come out as the whole walk
 * makes it: the same documents fed the same updates, one through `applyBurst` (told), one in plain transactions
 * (walked), answer every question alike.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import { Arrivals, arrivalsOf } from "../../src/yjs/arrivals.js";
import { applyBurst } from "../../src/yjs/burst.js";
import { MAX_TYPE_DEPTH, YJS_LIMITS } from "../../src/yjs/defaults.js";
import { concurrentTraceUpdates } from "./support/concurrent-trace.js";
import { seededRandom } from "./support/trace.js";

const limits = { maxStructs: YJS_LIMITS.maxUpdateStructs, structsPerTurn: YJS_LIMITS.structsPerTurn, maxTypeDepth: MAX_TYPE_DEPTH };

afterEach(() => vi.restoreAllMocks());

describe("the arrival table told a burst's clients", () => {
  it("records what the walk of the whole state vector records, bursts of several clients and waiting structs included", () => {
    const updates = concurrentTraceUpdates("clownschool", 600);
    const random = seededRandom(103);
    const told = new Y.Doc();
    const walked = new Y.Doc();
    const toldTable = arrivalsOf(told);
    const walkedTable = arrivalsOf(walked);
    const addsOnly = vi.spyOn(Arrivals.prototype, "addsOnly");
    // A history first, so that most clients of the document are in no burst.
    for (const doc of [told, walked]) Y.applyUpdate(doc, Y.mergeUpdates(updates.slice(0, 200)));
    const rest = updates.slice(200);
    // Some updates merged in pairs (two clients in one update), some swapped (the later one's structs wait).
    const stream: Uint8Array[] = [];
    for (let i = 0; i < rest.length; i++) {
      const roll = random();
      if (roll < 0.15 && i + 1 < rest.length) stream.push(Y.mergeUpdates([rest[i]!, rest[++i]!]));
      else if (roll < 0.25 && i + 1 < rest.length) stream.push(rest[i + 1]!, rest[i++]!);
      else stream.push(rest[i]!);
    }
    for (let i = 0; i < stream.length; ) {
      const burst = stream.slice(i, i + 1 + Math.floor(random() * 3));
      const outcome = applyBurst(told, burst, "test", limits, () => {});
      expect(outcome.refusal).toBeUndefined();
      walked.transact(() => {
        for (const update of burst.slice(0, outcome.applied)) Y.applyUpdate(walked, update);
      });
      i += burst.length;
    }
    expect(addsOnly).toHaveBeenCalled();
    expect(Y.encodeStateVector(told)).toEqual(Y.encodeStateVector(walked));
    expect(toldTable.now).toBe(walkedTable.now);
    for (const [client, structs] of told.store.clients) {
      const last = structs[structs.length - 1]!;
      const end = last.id.clock + last.length;
      for (let clock = 0; clock <= end; clock++) expect(toldTable.of(client, clock), `${client}:${clock}`).toBe(walkedTable.of(client, clock));
      for (let seq = 0; seq <= toldTable.now; seq++) expect(toldTable.firstSince(client, seq)).toBe(walkedTable.firstSince(client, seq));
    }
  });
});
