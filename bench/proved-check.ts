/**
 * `node --import tsx bench/proved-check.ts [--updates=N] [--typists=N]`: what the update check costs per fan-out
 * update with the proved concurrent-insert check (src/yjs/passed-tails.ts) and without it (every item among
 * concurrent ones searched), on one room's document fed the fan-out's updates (typists appending after their own
 * text, none hearing the others). Both checks run on the same document before each update is applied, in turns
 * (which goes first alternates), so the machine's load weighs on both alike. "Cold": a 32 MB buffer is read before
 * each check, as the fan-out's ~2 ms of idling between updates leaves the caches. Prints the median wall time of
 * one check (the walk of the update with the document view), warm and cold, and how many checks were proved.
 */
import { performance } from "node:perf_hooks";
import * as Y from "yjs";
import { readUpdateShape } from "../src/protocol/update-format.js";
import { applyBurst } from "../src/yjs/burst.js";
import { MAX_TYPE_DEPTH, MAX_UPDATE_STRUCTS } from "../src/yjs/defaults.js";
import { YDocumentView } from "../src/yjs/document-view.js";
import { AppendTypist } from "./client/append-updates.js";
import { median } from "./stats.js";

const option = (name: string, fallback: number): number => {
  const arg = process.argv.find((value) => value.startsWith(`--${name}=`));
  return arg ? Number(arg.slice(name.length + 3)) : fallback;
};
const UPDATES = option("updates", 4_000);
const TYPISTS = option("typists", 10);

/** Read between checks to evict the caches (larger than the machine's last-level cache). */
const evictor = new Float64Array(4 * 1024 * 1024);
let sink = 0;
function evictCaches(): void {
  for (let i = 0; i < evictor.length; i += 8) sink += evictor[i]!;
}

/** µs of one check of `update` on `doc`, with the room's records or (`null`) without. */
function timeCheck(doc: Y.Doc, update: Uint8Array, tails: null | undefined, cold: boolean): { us: number; proved: number } {
  if (cold) evictCaches();
  const start = performance.now();
  const view = tails === null ? new YDocumentView(doc, update, null) : new YDocumentView(doc, update);
  const shape = readUpdateShape(update, view);
  const us = (performance.now() - start) * 1000;
  if (typeof shape === "string" || shape.scattered > 0) throw new Error(`the fan-out's update was not placed: ${JSON.stringify(shape)}`);
  return { us, proved: view.proved };
}

const limits = { maxStructs: MAX_UPDATE_STRUCTS, structsPerTurn: MAX_UPDATE_STRUCTS, maxTypeDepth: MAX_TYPE_DEPTH };
for (const cold of [false, true]) {
  const doc = new Y.Doc();
  const typists = Array.from({ length: TYPISTS }, (_, i) => new AppendTypist(i + 1));
  const proved: number[] = [];
  const searched: number[] = [];
  let proofs = 0;
  for (let i = 0; i < UPDATES; i++) {
    const update = typists[i % TYPISTS]!.next(`~${i}~`);
    const order = i % 2 === 0 ? ([undefined, null] as const) : ([null, undefined] as const);
    for (const tails of order) {
      const { us, proved: count } = timeCheck(doc, update, tails, cold);
      (tails === null ? searched : proved).push(us);
      if (tails !== null) proofs += count;
    }
    const outcome = applyBurst(doc, [update], null, limits, () => {});
    if (outcome.refusal) throw outcome.refusal;
  }
  const warmUp = Math.min(500, UPDATES >> 2); // the first updates compile the code
  const us = (values: number[]): string => median(values.slice(warmUp)).toFixed(2).padStart(6);
  console.log(
    `${cold ? "cold" : "warm"}: check per update, median ${us(proved)} µs with the proof, ${us(searched)} µs searched; ` +
      `${proofs} of ${UPDATES} checks proved`,
  );
  doc.destroy();
}
if (sink === Number.MIN_VALUE) console.log(sink);
