/**
 * Three real providers (one of each kind) replay the sveltecomponent editing trace together through
 * a DocumentParty room: the trace is cut into seeded random blocks dealt round-robin; each client
 * applies its block as soon as its replica holds everything before it (edit positions refer to that
 * state), while the others' updates are still flowing. All replicas, and the server's JSON export,
 * must end equal to the trace's endContent. A second test has the three type into one text at random
 * positions at the same time, never waiting for each other: all replicas and the export end identical.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { startServer } from "../helpers/server.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { PROVIDER_KINDS, makeProvider, until, whenSynced, clientDocs } from "./support/providers.js";
import { deferred } from "./support/fake-client.js";
import { applyPatch, loadTrace, seededRandom, utf16Index, utf16Span, type Patch } from "./support/trace.js";

const MAX_BLOCK_TXNS = 200;
const docs = clientDocs();

/** Whether `doc` has everything the state vector `required` describes. */
function covers(doc: Y.Doc, required: Map<number, number>): boolean {
  const have = Y.decodeStateVector(Y.encodeStateVector(doc));
  for (const [client, clock] of required) if ((have.get(client) ?? 0) < clock) return false;
  return true;
}

function applyToText(text: Y.Text, [position, deleteCount, insert]: Patch): void {
  const current = text.toString();
  const at = utf16Index(current, position);
  const span = utf16Span(current, at, deleteCount);
  if (span > 0) text.delete(at, span);
  if (insert) text.insert(at, insert);
}

describe("convergence", () => {
  it("three clients replaying sveltecomponent concurrently all end at endContent, and so does the JSON export", async () => {
    const trace = loadTrace("sveltecomponent");
    const server = await startServer({ main: DocumentParty });
    const replicas = PROVIDER_KINDS.map((kind) => {
      const doc = new Y.Doc();
      docs.push(doc);
      return { kind, doc, provider: makeProvider(kind, server.url, "main", "svelte", doc) };
    });
    await Promise.all(replicas.map((r) => whenSynced(r.provider)));

    // Deal the transactions in seeded random blocks; remember the expected text before each block.
    const random = seededRandom(0x5e1fe);
    const blocks: Array<{ owner: number; txns: Patch[][]; before: string }> = [];
    let expected = trace.startContent;
    for (let i = 0, n = 0; i < trace.txns.length; n++) {
      const size = 1 + Math.floor(random() * MAX_BLOCK_TXNS);
      const txns = trace.txns.slice(i, i + size).map((t) => t.patches);
      blocks.push({ owner: n % replicas.length, txns, before: expected });
      for (const patches of txns) for (const patch of patches) expected = applyPatch(expected, patch);
      i += size;
    }
    expect(expected).toBe(trace.endContent); // the reference replay itself is right

    if (trace.startContent) replicas[0]!.doc.getText("svelte").insert(0, trace.startContent);
    // Block k may start once its owner has seen every update up to the end of block k-1: the state
    // vector its previous owner had right after applying it (text equality alone can match too early).
    const finished = blocks.map(() => deferred<Map<number, number>>());
    const startVector = Y.decodeStateVector(Y.encodeStateVector(replicas[0]!.doc));
    await Promise.all(
      replicas.map(async (replica, index) => {
        const text = replica.doc.getText("svelte");
        for (const [k, block] of blocks.entries()) {
          if (block.owner !== index) continue;
          const required = k === 0 ? startVector : await finished[k - 1]!.promise;
          await until(replica.doc, (d) => covers(d, required), `${replica.kind} reaches block ${k}`, 60_000);
          expect(text.toString()).toBe(block.before);
          for (const patches of block.txns) replica.doc.transact(() => patches.forEach((p) => applyToText(text, p)));
          finished[k]!.resolve(Y.decodeStateVector(Y.encodeStateVector(replica.doc)));
        }
      }),
    );
    for (const replica of replicas) {
      await until(replica.doc, (d) => d.getText("svelte").toString() === trace.endContent, `${replica.kind} converges`, 60_000);
    }
    const exported = (await (await fetch(`${server.url}/parties/main/svelte`)).json()) as { svelte: string };
    expect(exported.svelte).toBe(trace.endContent);
    expect(blocks.length).toBeGreaterThan(50);
  }, 180_000);

  it("three clients typing into one text at the same time, without waiting for each other, end identical, and so does the export", async () => {
    const STEPS = 400;
    const server = await startServer({ main: DocumentParty });
    const replicas = PROVIDER_KINDS.map((kind) => {
      const doc = new Y.Doc();
      docs.push(doc);
      return { kind, doc, provider: makeProvider(kind, server.url, "main", "race", doc) };
    });
    await Promise.all(replicas.map((r) => whenSynced(r.provider)));

    let typed = "";
    await Promise.all(
      replicas.map(async (replica, index) => {
        const random = seededRandom(1000 + index);
        const text = replica.doc.getText("race");
        for (let step = 0; step < STEPS; step++) {
          const word = `${"abc"[index]}${step} `;
          text.insert(Math.floor(random() * (text.length + 1)), word);
          typed += word;
          // Let the other clients' updates in now and then, so edits really cross in flight.
          if (step % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );
    for (const replica of replicas) {
      await until(replica.doc, (d) => d.getText("race").length === typed.length, `${replica.kind} has every word`, 30_000);
    }
    const [first, ...others] = replicas.map((r) => r.doc.getText("race").toString());
    for (const other of others) expect(other).toBe(first);
    // Words may land inside each other's words, but every typed character is there exactly once.
    const sorted = (text: string) => [...text].sort().join("");
    expect(sorted(first!)).toBe(sorted(typed));
    const exported = (await (await fetch(`${server.url}/parties/main/race`)).json()) as { race: string };
    expect(exported.race).toBe(first);
  }, 60_000);
});
