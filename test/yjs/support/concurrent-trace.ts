/**
 * A concurrent editing trace (clownschool: several users typing at once, `parents` and `agent` per transaction)
 * replayed as real Yjs editors: each transaction is typed by its agent's document holding exactly what the
 * transaction's parents hold, and yields the update that editor would send. In trace order, they arrive at a room
 * as a server sees them: honest updates, many of them concurrent inserts at one place.
 */
import * as Y from "yjs";
import { TRACE_DIR, type Patch, utf16Index, utf16Span } from "./trace.js";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";

interface ConcurrentTxn {
  parents: number[];
  agent: number;
  patches: Patch[];
}

/** The updates of the first `count` transactions of `name`, in trace order (a causal order). */
export function concurrentTraceUpdates(name = "clownschool", count = Number.POSITIVE_INFINITY): Uint8Array[] {
  const file = path.join(TRACE_DIR, `${name}.json.gz`);
  if (!existsSync(file)) throw new Error(`The editing trace ${file} is missing: set YPARTY_TRACES to its editing-traces folder.`);
  const txns = (JSON.parse(gunzipSync(readFileSync(file)).toString("utf8")) as { txns: ConcurrentTxn[] }).txns.slice(0, count);
  const updates: Uint8Array[] = [];
  /** Per agent: its document, and which transactions it holds. */
  const agents = new Map<number, { doc: Y.Doc; holds: Uint8Array; last: number }>();
  const editor = (agent: number) => {
    let state = agents.get(agent);
    if (state === undefined) {
      const doc = new Y.Doc();
      doc.clientID = 1_000 + agent;
      agents.set(agent, (state = { doc, holds: new Uint8Array(txns.length), last: -1 }));
    }
    return state;
  };
  txns.forEach((txn, index) => {
    const state = editor(txn.agent);
    // What the parents hold that the agent lacks, in trace order (the agent holds its own earlier transactions)
    const missing: number[] = [];
    const stack = [...txn.parents];
    while (stack.length > 0) {
      const at = stack.pop()!;
      if (state.holds[at]) continue;
      state.holds[at] = 1;
      missing.push(at);
      stack.push(...txns[at]!.parents);
    }
    missing.sort((a, b) => a - b);
    for (const at of missing) Y.applyUpdate(state.doc, updates[at]!);
    const text = state.doc.getText("text");
    let update: Uint8Array | undefined;
    const capture = (bytes: Uint8Array) => void (update = bytes);
    state.doc.on("update", capture);
    state.doc.transact(() => {
      for (const [position, deleteCount, insert] of txn.patches) {
        const content = text.toString();
        const at = Math.min(utf16Index(content, position), content.length);
        const span = Math.min(utf16Span(content, at, deleteCount), content.length - at);
        if (span > 0) text.delete(at, span);
        if (insert) text.insert(at, insert);
      }
    });
    state.doc.off("update", capture);
    state.holds[index] = 1;
    state.last = index;
    updates.push(update ?? Y.encodeStateAsUpdate(new Y.Doc()));
  });
  for (const { doc } of agents.values()) doc.destroy();
  return updates;
}
