/**
 * The proved concurrent-insert check (src/yjs/passed-tails.ts) held against the search, on a room that runs the
 * default settings: honest typists appending at their end as in the fan-out (hearing the room now and then, their
 * updates now and then out of order), mutants of their next update (the generic structural ones, and one that makes
 * its first item name its previous unit and no right origin whatever its sender had seen), and forged updates of the
 * shape the room proves (proof-shaped.ts). Before each is offered, the room's check with its records is set beside
 * the search alone (proof-oracle.ts); the copy check must take whatever the proof placed; after each, the room must
 * equal a reload of itself.
 */
import * as Y from "yjs";
import { silentLogger } from "../../../src/runtime/log.js";
import { resolveYjsLimits } from "../../../src/yjs/defaults.js";
import { DocumentSession } from "../../../src/yjs/session.js";
import { validateUpdate } from "../../../src/yjs/validate.js";
import { EndTypists } from "./end-typists.js";
import { copyVerdict, judgeProof, judgeRecords } from "./proof-oracle.js";
import { proofShapedUpdate } from "./proof-shaped.js";
import { reloadDiffers } from "./reload-compare.js";
import { decodeStructs, encodeStructs } from "./struct-codec.js";
import { seededRandom } from "./trace.js";
import { knownIds, mutateUpdate, type MutationContext } from "./update-mutator.js";

export interface ProvedCounts {
  /** Updates offered to the room (well-formed ones: the others are refused before any order check). */
  cases: number;
  /** Cases whose check the room proved (for one item at least) instead of searching. */
  proved: number;
  /** Per case kind and whether it was proved: the room's verdicts. */
  verdicts: Record<string, number>;
  taken: number;
  /** Where the proof and the search disagree: must stay empty. */
  disagreements: string[];
  /** Records of the room judged after each case (the next insert of their client, proved beside searched). */
  recordsJudged: number;
  /** Proved cases the walk placed that the copy check refuses: must stay 0. */
  takenButCopyRefuses: number;
  /** Times the room differed from its reload after an update: must stay empty. */
  diverged: string[];
  /** Updates Yjs threw on after every check of the room passed (it applies them half-way): must stay empty. */
  thrown: string[];
}

/** `cases` updates of one seeded run, offered in turn to one room. */
export async function runProvedDifferential(seed: number, cases: number): Promise<ProvedCounts> {
  const counts: ProvedCounts = {
    cases: 0,
    proved: 0,
    verdicts: {},
    taken: 0,
    disagreements: [],
    recordsJudged: 0,
    takenButCopyRefuses: 0,
    diverged: [],
    thrown: [],
  };
  const random = seededRandom(seed);
  const session = new DocumentSession({ room: `proved-${seed}`, gc: seed % 2 === 0, logger: silentLogger(), limits: resolveYjsLimits() });
  await session.load();
  const typists = new EndTypists(random, 3 + (seed % 4), 100);
  const forgers = [900_001, 900_002, 900_003, 900_004, 900_005];
  let nextForger = 900_006;
  /** Refusals in a row per forger: a forger whose past holds what its next insert passes over is refused for good. */
  const refusals = new Map<number, number>();
  const recordsSeen = new Map<number, number>();
  const context = (): MutationContext => ({ random, known: knownIds(session.doc, 200), roots: ["text", "m"] });

  /** Offers `update` to the room; whether the room took it. Counted only when well-formed (others never reach the order checks' verdict). */
  const offer = async (kind: string, update: Uint8Array): Promise<boolean> => {
    const doc = session.doc;
    try {
      validateUpdate(update);
    } catch {
      return session.applyUpdate(update).then(
        () => true,
        () => false,
      );
    }
    counts.cases++;
    const { proved, verdict, disagreement } = judgeProof(doc, update);
    if (proved > 0) counts.proved++;
    const key = `${kind}, ${proved > 0 ? "proved" : "searched"}: ${verdict}`;
    counts.verdicts[key] = (counts.verdicts[key] ?? 0) + 1;
    if (disagreement !== undefined) counts.disagreements.push(`seed ${seed}, case ${counts.cases}: ${disagreement}`);
    if (proved > 0 && verdict === "placed" && copyVerdict(doc, update) === "copy refuses") counts.takenButCopyRefuses++;
    let taken = false;
    try {
      await session.applyUpdate(update);
      taken = true;
      counts.taken++;
    } catch (error) {
      // refused; by a check, unless Yjs threw (errors.ts `asRefusal`)
      const cause = (error as Error).cause;
      if (cause !== undefined && (error as { code?: string }).code === "ERR_INVALID_UPDATE")
        counts.thrown.push(`seed ${seed}, case ${counts.cases} (${kind}): ${(error as Error).message}`);
    }
    const records = judgeRecords(session.doc, recordsSeen, random);
    counts.recordsJudged += records.judged;
    for (const problem of records.disagreements) counts.disagreements.push(`seed ${seed}, after case ${counts.cases}: ${problem}`);
    const differs = reloadDiffers(session.doc);
    if (differs !== undefined) counts.diverged.push(`seed ${seed}, case ${counts.cases}: ${differs}`);
    return taken;
  };

  while (counts.cases < cases) {
    const roll = random();
    if (roll < 0.03) {
      typists.hear(session.doc);
      continue;
    }
    if (roll < 0.5) {
      typists.edit();
      if (random() < 0.15) typists.edit(); // two in its outbox: now and then delivered out of order
      const next = typists.deliver();
      if (next === undefined) continue;
      if (random() < 0.3) {
        // Taken, it holds clocks the typist's own updates hold otherwise (at once, or once what it waits for comes):
        // the typist gives way to a new one
        const mutant = mutantOf(next.update, context());
        if (await offer("typist's mutant", mutant)) {
          // A mutant may write under another typist's client id too (a forged client): that typist's next clocks are
          // taken, so it gives way as well (its honest updates would name units the room holds elsewhere).
          for (const client of Y.parseUpdateMeta(mutant).from.keys()) typists.replace(client, session.doc);
          typists.replace(next.client, session.doc);
          continue;
        }
      }
      await offer("typist", next.update);
      if (typists.isStuck(next.client, session.doc)) typists.replace(next.client, session.doc);
    } else {
      const at = Math.floor(random() * forgers.length);
      const forger = forgers[at]!;
      const taken = await offer("forged", proofShapedUpdate(session.doc, forger, forgers, context()));
      refusals.set(forger, taken ? 0 : (refusals.get(forger) ?? 0) + 1);
      if (refusals.get(forger)! >= 3) forgers[at] = nextForger++;
    }
  }
  typists.destroy();
  await session.stop();
  return counts;
}

/** A generic structural mutant, or the update with its first item made to name its previous unit and no right origin. */
function mutantOf(update: Uint8Array, context: MutationContext): Uint8Array {
  if (context.random() < 0.5) {
    try {
      return mutateUpdate(update, context);
    } catch {
      return update;
    }
  }
  const raw = decodeStructs(update);
  const section = raw.sections[0];
  const first = section?.structs[0];
  if (section === undefined || first?.kind !== "item" || section.clock === 0) return mutateUpdate(update, context);
  first.origin = { client: section.client, clock: section.clock - 1 };
  first.rightOrigin = null;
  return encodeStructs(raw);
}
