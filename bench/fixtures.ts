/**
 * The documents the scenarios need, built once per harness process: the big document's insert updates and
 * the automerge-paper trace state (cached in the OS temp folder, since replaying 260k edits takes seconds).
 */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import * as Y from "yjs";
import { TEXT_NAME, TRACE_FILE } from "./limits.js";

/** The writer's client id for the big document (any fixed id: every server gets the same updates). */
const BIG_DOC_CLIENT_ID = 424242;
/** Seed of the insert positions, so every run builds the same document. */
const BIG_DOC_SEED = 7;

export interface BigDoc {
  updates: Uint8Array[];
  length: number;
}

let bigDoc: { key: string; value: BigDoc } | undefined;

/** `inserts` updates, each inserting `chars` characters at a pseudo-random position of the text so far. */
export function bigDocUpdates(inserts: number, chars: number): BigDoc {
  const key = `${inserts}x${chars}`;
  if (bigDoc?.key === key) return bigDoc.value;
  const doc = new Y.Doc();
  doc.clientID = BIG_DOC_CLIENT_ID;
  const text = doc.getText(TEXT_NAME);
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  const random = mulberry32(BIG_DOC_SEED);
  const letters = "abcdefghijklmnopqrstuvwxyz";
  for (let i = 0; i < inserts; i++) {
    const chunk = Array.from({ length: chars }, (_, j) => letters[(i + j) % letters.length]).join("");
    text.insert(Math.floor(random() * (text.length + 1)), chunk);
  }
  bigDoc = { key, value: { updates, length: text.length } };
  return bigDoc.value;
}

export interface TraceDoc {
  /** The whole document as one Yjs update. */
  state: Uint8Array;
  /** Its text length (the trace's endContent). */
  length: number;
}

/** The automerge-paper trace replayed into a Y.Text, as one update. */
export async function traceDoc(): Promise<TraceDoc> {
  const source = await stat(TRACE_FILE);
  const cacheDir = join(tmpdir(), "yparty-bench-cache");
  const cacheFile = join(cacheDir, `automerge-paper-${source.mtimeMs}-${source.size}.yupdate`);
  const state = await readFile(cacheFile).catch(() => null);
  if (state) return { state, length: textLength(state) };
  const trace = JSON.parse(gunzipSync(await readFile(TRACE_FILE)).toString("utf8")) as {
    txns: Array<{ patches: Array<[number, number, string]> }>;
  };
  const doc = new Y.Doc();
  const text = doc.getText(TEXT_NAME);
  doc.transact(() => {
    for (const txn of trace.txns) {
      for (const [position, deleteCount, insert] of txn.patches) {
        if (deleteCount > 0) text.delete(position, deleteCount);
        if (insert.length > 0) text.insert(position, insert);
      }
    }
  });
  const built = Y.encodeStateAsUpdate(doc);
  await mkdir(cacheDir, { recursive: true });
  await writeFile(cacheFile, built);
  return { state: built, length: text.length };
}

function textLength(update: Uint8Array): number {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, update);
  return doc.getText(TEXT_NAME).length;
}

/** A tiny seeded PRNG (deterministic positions without a dependency). */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
