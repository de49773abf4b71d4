/**
 * The material the structure-aware fuzzer mutates: real updates from a shared editing trace (one per
 * transaction, as an editor sends them) plus maps, arrays, XML and a deletion, so that references can land on
 * every kind of struct. Deterministic: the same corpus every run.
 */
import * as Y from "yjs";
import { sameBytes } from "../../../src/yjs/frames.js";
import { loadTrace, seededRandom, typeTransactions } from "./trace.js";
import { knownIds, mutateUpdate, type MutationContext } from "./update-mutator.js";

export interface FuzzCorpus {
  /** Every update, in order: applying them all gives the author's document. */
  updates: Uint8Array[];
  /** The first half of `updates`, merged: the state a fuzzed room starts from. */
  base: Uint8Array;
  /** Updates to mutate: the last ones typed and the second half merged (a client's whole step 2). */
  seeds: Uint8Array[];
  roots: string[];
  /** Ids of the author's document (references aim at them). */
  known: MutationContext["known"];
}

export function buildCorpus(trace = "sveltecomponent", transactions = 300): FuzzCorpus {
  const doc = new Y.Doc();
  doc.clientID = 1_431_096_171; // the same corpus every run
  const updates: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => updates.push(update));
  typeTransactions(doc.getText("text"), loadTrace(trace).txns.slice(0, transactions));
  const map = doc.getMap<unknown>("m");
  const nested = new Y.Map<unknown>([["inner", new Y.Array()]]);
  map.set("nested", nested);
  nested.set("x", 1);
  map.set("kept", new Y.Map([["k", "v"]]));
  doc.getArray<unknown>("a").insert(0, [1, new Y.Text("t"), 3]);
  const element = new Y.XmlElement("p");
  doc.getXmlFragment("xml").insert(0, [element]);
  element.insert(0, [new Y.XmlText("hi")]);
  map.delete("nested");
  const half = updates.length >> 1;
  const known = knownIds(doc);
  doc.destroy();
  return {
    updates,
    base: Y.mergeUpdates(updates.slice(0, half)),
    seeds: [...updates.slice(-60), Y.mergeUpdates(updates.slice(half))],
    roots: ["text", "m", "a", "xml", "other"],
    known,
  };
}

/**
 * Mutants that plain Yjs decodes (so a check of the format alone lets them in) but applies half-way: it throws
 * after changing a document holding `corpus.base`. What refused frames used to do to a room. From a seeded
 * search, the first mutant for each of the `wanted` errors.
 */
export function halfApplyingMutants(corpus: FuzzCorpus, wanted: string[], seed = 1, tries = 20_000): Map<string, Uint8Array> {
  const random = seededRandom(seed);
  const context: MutationContext = { random, known: corpus.known, roots: corpus.roots };
  const found = new Map<string, Uint8Array>();
  const doc = new Y.Doc();
  Y.applyUpdate(doc, corpus.base);
  const before = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  for (let i = 0; i < tries && found.size < wanted.length; i++) {
    const mutant = mutateUpdate(corpus.seeds[Math.floor(random() * corpus.seeds.length)]!, context);
    if (!decodes(mutant)) continue;
    const target = new Y.Doc();
    Y.applyUpdate(target, before);
    try {
      Y.applyUpdate(target, mutant);
    } catch (error) {
      const message = (error as Error).message;
      if (wanted.includes(message) && !found.has(message) && !sameBytes(before, Y.encodeStateAsUpdate(target))) found.set(message, mutant);
    } finally {
      target.destroy();
    }
  }
  return found;
}

function decodes(update: Uint8Array): boolean {
  try {
    Y.decodeUpdate(update);
    return true;
  } catch {
    return false;
  }
}
