/** The shared editing traces: `{ startContent, endContent, txns: [{ patches: [[pos, del, text]] }] }`. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type * as Y from "yjs";

export type Patch = [position: number, deleteCount: number, insert: string];
export interface Trace {
  startContent: string;
  endContent: string;
  txns: Array<{ patches: Patch[] }>;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** `$YPARTY_TRACES`, else `../shared/data/editing-traces` beside the repository, else the workplace's copy. */
export const TRACE_DIR =
  process.env.YPARTY_TRACES ??
  [path.resolve(repoRoot, "../shared/data/editing-traces"), "/work/shared/data/editing-traces"].find((dir) => existsSync(dir)) ??
  path.resolve(repoRoot, "../shared/data/editing-traces");

export function loadTrace(name: string): Trace {
  const file = path.join(TRACE_DIR, `${name}.json.gz`);
  if (!existsSync(file))
    throw new Error(`The editing trace ${file} is missing: put the shared data beside the repository or set YPARTY_TRACES to its editing-traces folder.`);
  return JSON.parse(gunzipSync(readFileSync(file)).toString("utf8")) as Trace;
}

/** The UTF-16 index of code point `index` in `text` (traces count code points; JS strings and Y.Text count UTF-16). */
export function utf16Index(text: string, index: number): number {
  if (!/[\uD800-\uDFFF]/.test(text)) return index;
  let units = 0;
  for (let cp = 0; cp < index && units < text.length; cp++) units += text.codePointAt(units)! > 0xffff ? 2 : 1;
  return units;
}

/** UTF-16 length of `count` code points of `text` starting at UTF-16 index `from`. */
export function utf16Span(text: string, from: number, count: number): number {
  let units = 0;
  for (let cp = 0; cp < count && from + units < text.length; cp++) units += text.codePointAt(from + units)! > 0xffff ? 2 : 1;
  return units;
}

/** Types `txns` into `text`, one Yjs transaction per trace transaction, as an editor does. */
export function typeTransactions(text: Y.Text, txns: Trace["txns"]): void {
  for (const { patches } of txns) {
    text.doc!.transact(() => {
      for (const [position, deleteCount, insert] of patches) {
        const at = utf16Index(text.toString(), position);
        if (deleteCount > 0) text.delete(at, utf16Span(text.toString(), at, deleteCount));
        if (insert) text.insert(at, insert);
      }
    });
  }
}

/** Applies one patch to a plain string (the reference the replicas must match). */
export function applyPatch(text: string, [position, deleteCount, insert]: Patch): string {
  const at = utf16Index(text, position);
  return text.slice(0, at) + insert + text.slice(at + utf16Span(text, at, deleteCount));
}

export { seededRandom } from "../../helpers/seeded-random.js";
