/**
 * The structure-aware fuzzer and its reference-document oracle, shared by test/yjs/fuzz-oracle.test.ts (a few
 * thousand inputs, in `npm test`) and soak/fuzz.ts (a million, `npm run soak`).
 *
 * Inputs: structural mutants of real updates (update-mutator.ts) as sync step 2 and update frames, fresh real
 * updates of an author who keeps typing, chunked batches (intact and broken), awareness frames (valid and
 * mutated), state vectors, random bytes and byte-flipped frames; and the same updates as HTTP bodies.
 * Oracle: a reference Y.Doc applies exactly the updates the server took; the server's document must equal it
 * (state vector and JSON), live and after a restart. Every refusal must carry a documented close code or status.
 */
import { isDeepStrictEqual } from "node:util";
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import {
  decodeMessage,
  encodeAwareness,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  splitIntoChunks,
} from "../../../src/protocol/index.js";
import { docToJson } from "../../../src/yjs/json-export.js";
import { settlePending, withPendingAside } from "../../../src/yjs/pending.js";
import type { DocumentSession } from "../../../src/yjs/session.js";
import type { SessionConnection } from "../../../src/yjs/peer.js";
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

/** Close codes a refused frame may get, with the error codes their reasons start with (docs/protocol.md). */
export const DOCUMENTED_REFUSALS: Record<number, RegExp> = {
  1007: /^ERR_(TRUNCATED|EMPTY_FRAME|UNKNOWN_MESSAGE_TYPE|UNKNOWN_SYNC_TYPE|TRAILING_BYTES|BAD_BATCH|INVALID_UPDATE|INVALID_STATE_VECTOR|INVALID_AWARENESS|UNEXPECTED_MESSAGE)\b/,
  1009: /^ERR_UPDATE_TOO_LARGE\b/,
};

/** HTTP answers a refused POST may get. */
export const DOCUMENTED_HTTP_REFUSALS: Record<number, RegExp> = {
  400: /^ERR_(INVALID_UPDATE|BAD_REQUEST)$/,
  413: /^ERR_(UPDATE_TOO_LARGE|BODY_TOO_BIG)$/,
};

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

  /** A frame as y-partykit chunks it (small chunks here), sometimes broken: a chunk lost, doubled, or markers that lie. */
  #chunked(): FuzzInput {
    const whole = this.random() < 0.5 ? encodeUpdate(mutateUpdate(this.#seed(), this.#context)) : encodeUpdate(this.#authored());
    const frames = splitIntoChunks(whole, 4 + this.#int(40));
    if (frames.length === 1) return this.#carrying(whole, "chunked");
    const roll = this.random();
    if (roll < 0.6) return { ...this.#carrying(whole, "chunked"), frames };
    if (roll < 0.7) frames.splice(1 + this.#int(frames.length - 2), 1);
    else if (roll < 0.8) frames.splice(1, 0, frames[1]!);
    else if (roll < 0.9) frames[0] = (frames[0] as string).replace(/"size":(\d+)/, (_, size: string) => `"size":${Number(size) + 1 + this.#int(50)}`);
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

/**
 * The reference document and the tally. The reference is a plain Y.Doc that handles pending structs as a room does
 * (src/yjs/pending.ts): retried on their own after each update, and dropped once the document has their IDs (plain
 * Yjs keeps them, and one with a forged ID then blocks that client's later structs for good).
 */
export class Oracle {
  readonly reference = new Y.Doc();
  tried = 0;
  accepted = 0;
  /** Pending structs that threw when retried (dropped, as a room does). */
  pendingDropped = 0;
  readonly refusedBy = new Map<string, number>();
  readonly undocumented: string[] = [];
  /** Accepted inputs the reference could not apply (the server took what Yjs cannot apply whole). */
  readonly referenceFailures: string[] = [];

  constructor(base: Uint8Array) {
    Y.applyUpdate(this.reference, base);
  }

  took(input: FuzzInput): void {
    this.tried++;
    this.accepted++;
    if (!input.update) return;
    try {
      this.reference.transact(() => {
        if (withPendingAside(this.reference, () => Y.applyUpdate(this.reference, input.update!))) this.pendingDropped++;
      });
      settlePending(this.reference);
    } catch (error) {
      this.referenceFailures.push(`${input.kind}: ${(error as Error).message}`);
    }
  }

  /** A connection closed with `code` and `reason` (or an HTTP answer: status and error code). */
  refused(code: number, reason: string, documented: Record<number, RegExp>): void {
    this.tried++;
    const errorCode = /^[A-Z_]+/.exec(reason)?.[0] ?? "";
    const key = `${code} ${errorCode}`;
    this.refusedBy.set(key, (this.refusedBy.get(key) ?? 0) + 1);
    if (!documented[code]?.test(reason) && this.undocumented.length < 20) this.undocumented.push(`${code} ${reason}`);
  }

  /** Why `doc` (the server's, or a client's copy of it) differs from the reference, or `undefined`. */
  differs(what: string, stateVector: Uint8Array, json: unknown): string | undefined {
    const expected = Y.encodeStateVector(this.reference);
    if (!sameBytes(stateVector, expected)) {
      return `${what}: state vector ${describe(stateVector)} differs from the reference's ${describe(expected)}`;
    }
    // Key order follows the order in which keys first arrived, which differs between replicas
    if (!isDeepStrictEqual(visible(json), visible(docToJson(this.reference)))) return `${what}: content differs from the reference`;
    return undefined;
  }

  summary(): Record<string, unknown> {
    return {
      tried: this.tried,
      accepted: this.accepted,
      refused: Object.fromEntries([...this.refusedBy].sort((a, b) => b[1] - a[1])),
      undocumented: this.undocumented.length,
      referenceFailures: this.referenceFailures.length,
      pendingDropped: this.pendingDropped,
    };
  }
}

/** A connection that only notes how the server closed it. */
class Probe implements SessionConnection {
  closed: { code: number; reason: string } | undefined;
  constructor(readonly id: string) {}
  send(): void {}
  close(code = 1005, reason = ""): void {
    this.closed = { code, reason };
  }
}

/** A second client of the room core: applies whatever the server sends it. */
export class Mirror implements SessionConnection {
  readonly doc = new Y.Doc();
  constructor(readonly id: string) {}
  send(data: Uint8Array | string): void {
    if (typeof data === "string") return;
    const message = decodeMessage(data);
    if (message.type === "update" || message.type === "sync-step2") Y.applyUpdate(this.doc, message.update);
  }
  close(): void {}
}

/**
 * The room core as the server runs it for every frame (DocumentSession), without sockets: fast enough for a
 * million inputs. One attacker connection at a time; a refused one is replaced.
 */
export class RoomCoreTarget {
  #attacker: Probe;
  #count = 0;
  readonly mirror = new Mirror("mirror");

  constructor(private readonly session: DocumentSession) {
    session.attach(this.mirror);
    session.receive(this.mirror, encodeSyncStep1(new Uint8Array([0])));
    this.#attacker = this.#attach();
  }

  #attach(): Probe {
    const probe = new Probe(`attacker-${this.#count++}`);
    this.session.attach(probe);
    return probe;
  }

  /** Sends `input`; the oracle hears whether the room took it. */
  send(input: FuzzInput, oracle: Oracle): void {
    for (const frame of input.frames) {
      this.session.receive(this.#attacker, frame);
      if (this.#attacker.closed) break;
    }
    // An unterminated batch is closed by the next frame, as the caller's probe does over a socket.
    if (!this.#attacker.closed) this.session.receive(this.#attacker, encodeQueryAwareness());
    void this.session.doc; // applies the burst
    const closed = this.#attacker.closed;
    if (closed) oracle.refused(closed.code, closed.reason, DOCUMENTED_REFUSALS);
    else oracle.took(input);
    if (closed || input.kind === "chunked-broken") {
      // A batch left open would swallow the next input's frames: start over with a new connection.
      if (!closed) this.session.detach(this.#attacker);
      this.#attacker = this.#attach();
    }
  }
}

/**
 * A document's JSON without its empty roots: a room names every root an update mentions, even one whose structs
 * are pending or collected, and its clients only those their updates filled.
 */
function visible(json: unknown): unknown {
  return Object.fromEntries(Object.entries(json as Record<string, unknown>).filter(([, value]) => value !== null));
}

function describe(stateVector: Uint8Array): string {
  return JSON.stringify([...Y.decodeStateVector(stateVector)]);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
