/**
 * The order checks that run by default, held against the exact but costly copy check: over structure-aware mutants
 * of real concurrent updates they never take what the copy refuses, and the room always equals its reload; over
 * honest traffic (a real concurrent editing trace, editors typing at one place) they refuse nothing and leave
 * nothing to the copy. The proved check (src/yjs/passed-tails.ts) is held against the search it replaces, on the
 * fan-out's updates and on hostile ones shaped for it. `npm run soak:order` runs the same with larger counts and
 * prints the figures.
 */
import { describe, expect, it } from "vitest";
import { concurrentEditorUpdates, offlineNestedUpdates } from "./support/concurrent-editors.js";
import { concurrentTraceUpdates } from "./support/concurrent-trace.js";
import { honestVerdicts, runDifferential } from "./support/order-differential.js";
import { runProvedDifferential } from "./support/proved-differential.js";

describe("the default order checks against the copy check", () => {
  it("mutants of concurrent updates: nothing taken that the copy refuses, the room equal to its reload after each", async () => {
    for (const seed of [1, 2]) {
      const counts = await runDifferential(seed, 500);
      expect(counts.diverged).toEqual([]);
      expect(counts.takenButCopyRefuses).toBe(0);
      expect(counts.proofDisagreements).toEqual([]);
      expect(counts.thrown).toEqual([]);
      expect(counts.pairs["walk takes / copy takes"]).toBeGreaterThan(20);
      expect(counts.taken).toBeGreaterThan(counts.mutants / 10);
    }
  }, 180_000);

  it("the proved check: typists, their mutants and forged updates of its shape; the proof agrees with the search, the room with its reload", async () => {
    for (const seed of [1, 2, 3]) {
      const counts = await runProvedDifferential(seed, 1_000);
      expect(counts.disagreements).toEqual([]);
      expect(counts.takenButCopyRefuses).toBe(0);
      expect(counts.diverged).toEqual([]);
      expect(counts.thrown).toEqual([]);
      // An honest typist is never refused (one whose client id a taken mutant wrote under gives way first)
      expect(Object.keys(counts.verdicts).filter((key) => key.startsWith("typist,") && key.endsWith("refused"))).toEqual([]);
      // Most cases reach the proof, and it is met refused and left to the copy too (for another item or check)
      expect(counts.proved).toBeGreaterThan(counts.cases * 0.3);
      const provedVerdicts = Object.keys(counts.verdicts).filter((key) => key.includes("proved:"));
      expect(provedVerdicts.some((key) => key.endsWith("placed"))).toBe(true);
      expect(provedVerdicts.some((key) => !key.endsWith("placed"))).toBe(true);
    }
  }, 180_000);

  it("honest traffic: a concurrent trace and editors typing at one place are all placed, none refused or copied", () => {
    const traced = honestVerdicts(concurrentTraceUpdates("clownschool", 4_000));
    expect(traced).toEqual({ placed: 4_000 });
    for (const seed of [1, 2, 3]) {
      const { updates } = concurrentEditorUpdates({ editors: 5, edits: 1_500, seed, maps: true });
      expect(honestVerdicts(updates)).toEqual({ placed: updates.length });
    }
  });

  it("honest editors back from offline, into types deleted meanwhile: nothing refused", () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { updates } = offlineNestedUpdates({ editors: 4, edits: 1_500, seed });
      const refused = Object.keys(honestVerdicts(updates)).filter((verdict) => verdict.startsWith("refused"));
      expect(refused, `seed ${seed}`).toEqual([]);
    }
  });
});
