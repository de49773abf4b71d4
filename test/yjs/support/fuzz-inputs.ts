/**
 * The fuzzer's inputs (see fuzz-engine.ts): structural mutants of real updates (update-mutator.ts) as sync step 2
 * and update frames, fresh real updates of an author who keeps typing, chunked batches (intact and broken),
 * awareness frames (valid and mutated), state vectors, random bytes and byte-flipped frames; and HTTP bodies.
 */
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import { decodeMessage, encodeAwareness, encodeSyncStep1, encodeSyncStep2, encodeUpdate, splitIntoChunks } from "../../../src/protocol/index.js";
import type { FuzzCorpus } from "./fuzz-corpus.js";
import { mutateUpdate, type MutationContext } from "./update-mutator.js";

export type Frame = Uint8Array | string;

export interface FuzzInput {
  /** What is sent, in order (a chunked batch is several frames). */
  frames: Frame[];
  /** The update the input carries (sync step 2 or update), which the reference applies if the server takes it. */
  update?: Uint8Array;
  kind: string;
}

export class FuzzInputs {
  readonly #context: MutationContext;
  readonly #seeds: Uint8Array[];
  /** Someone who keeps typing: real, new updates, so that the document grows and mutants have fresh seeds. */
  readonly #author = new Y.Doc();
  readonly #awareness = new awarenessProtocol.Awareness(new Y.Doc());

  constructor(
    corpus: FuzzCorpus,
    private readonly random: () => number,
  ) {
    this.#context = { random, known: corpus.known, roots: corpus.roots };
    this.#seeds = [...corpus.seeds];
    this.#author.clientID = this.#int(2 ** 31); // a seed replays the same run
    Y.applyUpdate(this.#author, corpus.base);
    this.#awareness.setLocalState({ user: { name: "fuzz" } });
  }

  next(): FuzzInput {
    const roll = this.random();
    if (roll < 0.45) {
      const update = mutateUpdate(this.#seed(), this.#context);
      return this.#carrying(this.random() < 0.5 ? encodeSyncStep2(update) : encodeUpdate(update), "mutant");
    }
    if (roll < 0.55) return this.#carrying(encodeUpdate(this.#authored()), "authored");
    if (roll < 0.65) return this.#chunked();
    if (roll < 0.73) return { frames: [this.#awarenessFrame()], kind: "awareness" };
    if (roll < 0.78) return { frames: [encodeSyncStep1(this.random() < 0.5 ? Y.encodeStateVector(this.#author) : this.#bytes(12))], kind: "state-vector" };
    if (roll < 0.9) return this.#carrying(this.#flipped(), "flipped");
    return this.#carrying(this.#bytes(64), "bytes");
  }

  /** A POST body: a mutant, an authored update or random bytes. */
  body(): { body: Uint8Array; kind: string } {
    const roll = this.random();
    if (roll < 0.7) return { body: mutateUpdate(this.#seed(), this.#context), kind: "mutant" };
    if (roll < 0.85) return { body: this.#authored(), kind: "authored" };
    return { body: this.#bytes(64), kind: "bytes" };
  }

  #seed(): Uint8Array {
    return this.#seeds[this.#int(this.#seeds.length)]!;
  }

  #authored(): Uint8Array {
    const before = Y.encodeStateVector(this.#author);
    const text = this.#author.getText("text");
    const roll = this.random();
    if (roll < 0.6) text.insert(this.#int(text.length + 1), "typed ".slice(0, 1 + this.#int(6)));
    else if (roll < 0.8 && text.length > 0) text.delete(this.#int(text.length), 1 + this.#int(3));
    else this.#author.getMap("m").set(`key ${this.#int(20)}`, this.random() < 0.2 ? new Y.Map([["v", this.#int(9)]]) : this.#int(100));
    const update = Y.encodeStateAsUpdate(this.#author, before);
    if (this.#seeds.length < 200) this.#seeds.push(update);
    else this.#seeds[this.#int(this.#seeds.length)] = update;
    return update;
  }

  /** A frame as y-partykit chunks it (small chunks here), sometimes broken: a chunk lost, doubled, a start or end marker that lies, no end. */
  #chunked(): FuzzInput {
    const whole = this.random() < 0.5 ? encodeUpdate(mutateUpdate(this.#seed(), this.#context)) : encodeUpdate(this.#authored());
    const frames = splitIntoChunks(whole, 4 + this.#int(40));
    if (frames.length === 1) return this.#carrying(whole, "chunked");
    const roll = this.random();
    if (roll < 0.6) return { ...this.#carrying(whole, "chunked"), frames };
    if (roll < 0.7) frames.splice(1 + this.#int(frames.length - 2), 1);
    else if (roll < 0.8) frames.splice(1, 0, frames[1]!);
    else if (roll < 0.85) frames[0] = (frames[0] as string).replace(/"size":(\d+)/, (_, size: string) => `"size":${Number(size) + 1 + this.#int(50)}`);
    else if (roll < 0.9)
      frames[frames.length - 1] = (frames.at(-1) as string).replace(/"(size|count)":(\d+)/, (_, key: string, n: string) => `"${key}":${Number(n) + 1}`);
    else frames.pop();
    // A broken batch must carry nothing; an unterminated one is followed by a probe frame of the caller, which
    // the server then buffers as a chunk: also nothing applied.
    return { frames, kind: "chunked-broken" };
  }

  /** An awareness update of ours, sometimes with a byte changed (often no longer JSON, or truncated). */
  #awarenessFrame(): Uint8Array {
    this.#awareness.setLocalState({ user: { name: `fuzz ${this.#int(1000)}` } });
    const valid = encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.#awareness, [this.#awareness.clientID]));
    if (this.random() < 0.5) return valid;
    const copy = valid.slice();
    copy[this.#int(copy.length)] = this.#int(256);
    return copy;
  }

  #flipped(): Uint8Array {
    const source = this.random() < 0.5 ? encodeUpdate(this.#seed()) : this.#awarenessFrame();
    const copy = source.slice();
    for (let i = 0, n = 1 + this.#int(3); i < n; i++) copy[this.#int(copy.length)] = this.#int(256);
    return copy;
  }

  /** `frame` with the update it carries, if it is a sync step 2 or update (whatever its payload holds). */
  #carrying(frame: Uint8Array, kind: string): FuzzInput {
    let update: Uint8Array | undefined;
    try {
      const message = decodeMessage(frame);
      if (message.type === "update" || message.type === "sync-step2") update = message.update;
    } catch {
      // not a frame the server can read: it is refused, nothing to apply
    }
    return { frames: [frame], update, kind };
  }

  #bytes(max: number): Uint8Array {
    return Uint8Array.from({ length: this.#int(max) }, () => this.#int(256));
  }

  #int(n: number): number {
    return Math.floor(this.random() * n);
  }

  destroy(): void {
    this.#author.destroy();
    this.#awareness.destroy();
  }
}
