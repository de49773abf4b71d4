/**
 * `npm run soak:order`: the figures of the order checks (docs/reliability.md). Over structure-aware mutants of
 * real concurrent updates, what the default checks decide beside the copy check, and whether the room ever differs
 * from its reload; over honest traffic (the shared editing traces, editors typing at one place), what they refuse
 * (must be nothing) and what each update costs in CPU, beside what the copy check would cost; and the proved check
 * (src/yjs/passed-tails.ts) beside the search it replaces, over typists, their mutants and forged updates of its
 * shape: how often it is taken, and where it disagrees (must be nowhere). `--only proved` runs that part alone.
 *
 *   npm run soak:order -- [--mutants 5000] [--cases 5000] [--seeds 1,2,3,4] [--edits 20000] [--only proved]
 */
import { parseArgs } from "node:util";
import * as Y from "yjs";
import { checkReloadOrder, reloadOrderError } from "../src/yjs/reload-order.js";
import { validatePartsAgainst } from "../src/yjs/validate.js";
import { concurrentEditorUpdates } from "../test/yjs/support/concurrent-editors.js";
import { concurrentTraceUpdates } from "../test/yjs/support/concurrent-trace.js";
import { honestVerdicts, runDifferential } from "../test/yjs/support/order-differential.js";
import { runProvedDifferential } from "../test/yjs/support/proved-differential.js";
import { loadTrace } from "../test/yjs/support/trace.js";

const { values } = parseArgs({
  options: {
    mutants: { type: "string", default: "5000" },
    cases: { type: "string", default: "5000" },
    seeds: { type: "string", default: "1,2,3,4" },
    edits: { type: "string", default: "20000" },
    only: { type: "string" },
  },
});

/** The updates an editor sends typing a sequential trace (ASCII: positions are indexes). */
function sequentialUpdates(name: string): Uint8Array[] {
  const doc = new Y.Doc();
  const text = doc.getText("text");
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  for (const { patches } of loadTrace(name).txns) {
    doc.transact(() => {
      for (const [position, deleteCount, insert] of patches) {
        if (deleteCount > 0) text.delete(position, deleteCount);
        if (insert) text.insert(position, insert);
      }
    });
  }
  doc.destroy();
  return updates;
}

/** Whether an update's items go anywhere but right between the neighbours they name (concurrent inserts). */
function isConcurrent(doc: Y.Doc, update: Uint8Array): boolean {
  for (const struct of Y.decodeUpdate(update).structs) {
    if (!(struct instanceof Y.Item) || struct.origin === null) continue;
    const origin = Y.getItem(doc.store, struct.origin) as Y.Item;
    const right =
      struct.origin.clock < origin.id.clock + origin.length - 1 ? Y.createID(origin.id.client, struct.origin.clock + 1) : (origin.right?.id ?? null);
    if (!Y.compareIDs(right, struct.rightOrigin)) return true;
  }
  return false;
}

/** CPU µs of `work` (process.cpuUsage: the machine is shared, wall time is noise). */
function cpu(work: () => void): number {
  const start = process.cpuUsage();
  work();
  const spent = process.cpuUsage(start);
  return spent.user + spent.system;
}

/** Replays `updates` into a fresh document, `check`ing each right before it is applied; CPU µs in all. */
function replay(updates: readonly Uint8Array[], check: (doc: Y.Doc, update: Uint8Array) => void): number {
  const doc = new Y.Doc();
  checkReloadOrder(doc, 64 * 1024 * 1024);
  const spent = cpu(() => {
    for (const update of updates) {
      check(doc, update);
      Y.applyUpdate(doc, update);
    }
  });
  doc.destroy();
  return spent;
}

/**
 * CPU µs per update of the checks a room runs before applying (walk and order checks: the best of 3 replays with
 * them less the best of 3 without), and of the copy check on a sample of the updates with items among concurrent ones.
 */
function cost(name: string, updates: readonly Uint8Array[]): void {
  const best = (check: (doc: Y.Doc, update: Uint8Array) => void) => Math.min(...[0, 1, 2].map(() => replay(updates, check)));
  const checks = (best(validatePartsAgainst) - best(() => {})) / updates.length;
  const doc = new Y.Doc();
  checkReloadOrder(doc, 64 * 1024 * 1024);
  let concurrent = 0;
  let copies = 0;
  let copied = 0;
  for (const update of updates) {
    if (isConcurrent(doc, update) && concurrent++ % 25 === 0) {
      copies += cpu(() => reloadOrderError(doc, update));
      copied++;
    }
    Y.applyUpdate(doc, update);
  }
  const copy = copied > 0 ? `; the copy check would cost ${(copies / copied).toFixed(0)} µs per such update (${copied} sampled)` : "";
  console.log(
    `${name}: ${updates.length} updates (${Y.encodeStateAsUpdate(doc).byteLength} bytes in the end), ${concurrent} with an item whose named neighbours are apart; checks ${checks.toFixed(2)} µs CPU per update${copy}`,
  );
  doc.destroy();
}

const seeds = values.seeds.split(",").map(Number);
if (values.only !== "proved") honestFigures();
const problems = (values.only === "proved" ? 0 : await mutantFigures()) + (await provedFigures());
process.exit(problems > 0 ? 1 : 0);

/** Honest traffic: the verdicts (nothing refused or copied) and the checks' cost per update. */
function honestFigures(): void {
  const edits = Number(values.edits);
  const honest: Array<[string, Uint8Array[]]> = [
    ["automerge-paper", sequentialUpdates("automerge-paper")],
    ["sveltecomponent", sequentialUpdates("sveltecomponent")],
    ["clownschool (concurrent)", concurrentTraceUpdates("clownschool")],
    ["8 editors at one place", concurrentEditorUpdates({ editors: 8, edits, seed: 1, maps: true }).updates],
  ];
  for (const [name, updates] of honest) console.log(`${name}: verdicts ${JSON.stringify(honestVerdicts(updates))}`);
  for (const [name, updates] of honest) cost(name, updates);
}

/** Mutants of concurrent updates against the copy check; the problems found. */
async function mutantFigures(): Promise<number> {
  const totals = {
    mutants: 0,
    taken: 0,
    takenButCopyRefuses: 0,
    diverged: 0,
    proved: 0,
    proofDisagreements: 0,
    thrown: 0,
    pairs: {} as Record<string, number>,
  };
  for (const seed of seeds) {
    const counts = await runDifferential(seed, Number(values.mutants));
    totals.mutants += counts.mutants;
    totals.taken += counts.taken;
    totals.takenButCopyRefuses += counts.takenButCopyRefuses;
    totals.diverged += counts.diverged.length;
    totals.proved += counts.proved;
    totals.proofDisagreements += counts.proofDisagreements.length;
    totals.thrown += counts.thrown.length;
    for (const problem of [...counts.diverged, ...counts.proofDisagreements, ...counts.thrown]) console.log(`PROBLEM ${problem}`);
    for (const [pair, count] of Object.entries(counts.pairs)) totals.pairs[pair] = (totals.pairs[pair] ?? 0) + count;
    console.log(`seed ${seed}: ${JSON.stringify(counts.pairs)}, proved ${counts.proved}`);
  }
  console.log(JSON.stringify(totals));
  return totals.diverged + totals.takenButCopyRefuses + totals.proofDisagreements + totals.thrown;
}

/** The proved check beside the search: how often it is taken, per case kind and verdict; the problems found. */
async function provedFigures(): Promise<number> {
  const totals = {
    cases: 0,
    proved: 0,
    taken: 0,
    recordsJudged: 0,
    disagreements: 0,
    takenButCopyRefuses: 0,
    diverged: 0,
    thrown: 0,
    verdicts: {} as Record<string, number>,
  };
  for (const seed of seeds) {
    const started = process.cpuUsage();
    const counts = await runProvedDifferential(seed, Number(values.cases));
    totals.cases += counts.cases;
    totals.proved += counts.proved;
    totals.taken += counts.taken;
    totals.recordsJudged += counts.recordsJudged;
    totals.disagreements += counts.disagreements.length;
    totals.takenButCopyRefuses += counts.takenButCopyRefuses;
    totals.diverged += counts.diverged.length;
    totals.thrown += counts.thrown.length;
    for (const problem of [...counts.disagreements, ...counts.diverged, ...counts.thrown]) console.log(`PROBLEM ${problem}`);
    for (const [verdict, count] of Object.entries(counts.verdicts)) totals.verdicts[verdict] = (totals.verdicts[verdict] ?? 0) + count;
    const seconds = (process.cpuUsage(started).user / 1e6).toFixed(0);
    console.log(
      `proved, seed ${seed}: ${counts.proved} of ${counts.cases} cases proved, ${counts.taken} taken, ${counts.disagreements.length} disagreements (${seconds} s)`,
    );
  }
  const sorted = Object.fromEntries(Object.entries(totals.verdicts).sort(([a], [b]) => a.localeCompare(b)));
  console.log(JSON.stringify({ ...totals, verdicts: sorted }));
  console.log(`the proved check: taken in ${totals.proved} of ${totals.cases} cases (${((100 * totals.proved) / Math.max(1, totals.cases)).toFixed(1)} %)`);
  return totals.disagreements + totals.takenButCopyRefuses + totals.diverged + totals.thrown;
}
