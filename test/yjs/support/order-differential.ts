/**
 * The order checks held against the copy check (src/yjs/reload-order.ts: apply to a copy, reload, compare), on a
 * room that runs the default settings: structure-aware mutants of real updates are offered to a DocumentSession;
 * for each, what the walk decides (refused, placed, left to the copy) is set beside what the copy check says, and
 * after each one the room takes, the room must equal a reload of itself.
 *
 * Left out of the comparison: updates part of which waits (the room checks them when they are retried). The copy
 * check is asked about the room's lists without what waits in it: plain Yjs merges waiting structs into the encoding
 * it copies and parks them otherwise than the room does (pending.ts). The reload oracle holds every update to account.
 */
import * as Y from "yjs";
import { readUpdateShape } from "../../../src/protocol/update-format.js";
import { silentLogger } from "../../../src/runtime/log.js";
import { resolveYjsLimits } from "../../../src/yjs/defaults.js";
import { YDocumentView } from "../../../src/yjs/document-view.js";
import { DocumentSession } from "../../../src/yjs/session.js";
import { validateUpdate } from "../../../src/yjs/validate.js";
import { concurrentEditorUpdates } from "./concurrent-editors.js";
import { copyVerdict, judgeProof } from "./proof-oracle.js";
import { reloadDiffers } from "./reload-compare.js";
import { seededRandom } from "./trace.js";
import { knownIds, mutateUpdate } from "./update-mutator.js";

export interface DifferentialCounts {
  mutants: number;
  /** Walk verdict / copy verdict, for mutants that do not wait. */
  pairs: Record<string, number>;
  /** Mutants the walk took (no copy) that the copy check refuses: must stay 0. */
  takenButCopyRefuses: number;
  /** Times the room differed from its reload after taking a mutant: must stay 0. */
  diverged: string[];
  taken: number;
  /** Mutants whose check the room proved instead of searching (passed-tails.ts), and where the two disagree (must stay empty). */
  proved: number;
  proofDisagreements: string[];
  /** Mutants Yjs threw on after every check of the room passed (it applies them half-way): must stay empty. */
  thrown: string[];
}

/** `mutants` mutants of one seeded run of concurrent editors (its first half applied as is), offered in turn. */
export async function runDifferential(seed: number, mutants: number): Promise<DifferentialCounts> {
  const counts: DifferentialCounts = { mutants: 0, pairs: {}, takenButCopyRefuses: 0, diverged: [], taken: 0, proved: 0, proofDisagreements: [], thrown: [] };
  const { updates } = concurrentEditorUpdates({ editors: 4, edits: 600, seed, maps: true });
  const session = new DocumentSession({ room: `differential-${seed}`, gc: seed % 2 === 0, logger: silentLogger(), limits: resolveYjsLimits() });
  await session.load();
  const half = updates.length >> 1;
  for (const update of updates.slice(0, half)) await session.applyUpdate(update);
  const pool = updates.slice(half);
  const random = seededRandom(seed);
  for (let i = 0; i < mutants; i++) {
    const doc = session.doc;
    const source = pool[Math.floor(random() * pool.length)]!;
    let mutant: Uint8Array;
    try {
      mutant = random() < 0.2 ? source : mutateUpdate(source, { random, known: knownIds(doc, 200), roots: ["text", "m"] });
      validateUpdate(mutant);
    } catch {
      continue; // not an update: refused before any order check
    }
    counts.mutants++;
    const { proved, disagreement } = judgeProof(doc, mutant);
    if (proved > 0) counts.proved++;
    if (disagreement !== undefined) counts.proofDisagreements.push(`seed ${seed}, mutant ${i}: ${disagreement}`);
    const shape = readUpdateShape(mutant, new YDocumentView(doc));
    if (typeof shape === "string" || !shape.waits) {
      const copy = copyVerdict(doc, mutant);
      const walk = typeof shape === "string" ? "walk refuses" : shape.scattered > 0 ? "left to the copy" : "walk takes";
      const pair = `${walk} / ${copy}`;
      counts.pairs[pair] = (counts.pairs[pair] ?? 0) + 1;
      if (walk === "walk takes" && copy === "copy refuses") counts.takenButCopyRefuses++;
    }
    try {
      await session.applyUpdate(mutant);
      counts.taken++;
    } catch (error) {
      // refused; by a check, unless Yjs threw (errors.ts `asRefusal`)
      if ((error as Error).cause !== undefined && (error as { code?: string }).code === "ERR_INVALID_UPDATE") {
        counts.thrown.push(`seed ${seed}, mutant ${i}: ${(error as Error).message}`);
      }
    }
    const differs = reloadDiffers(session.doc);
    if (differs !== undefined) counts.diverged.push(`seed ${seed}, mutant ${i}: ${differs}`);
  }
  await session.stop();
  return counts;
}

/** Honest traffic through the room's checks: how many updates each verdict got (refusals must stay 0). */
export function honestVerdicts(updates: readonly Uint8Array[]): Record<string, number> {
  const doc = new Y.Doc();
  const verdicts: Record<string, number> = {};
  for (const update of updates) {
    const shape = readUpdateShape(update, new YDocumentView(doc));
    const verdict = typeof shape === "string" ? `refused: ${shape}` : shape.scattered > 0 ? "left to the copy" : shape.waits ? "waits" : "placed";
    verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
    Y.applyUpdate(doc, update);
  }
  doc.destroy();
  return verdicts;
}
