/**
 * The frames that depend only on the document's state, kept until its next transaction (the session calls
 * `forget()` after each): N clients connecting to an unchanged document cost one state-vector encode and, when
 * they send the same state vector (fresh clients: the empty one), one step 2 encode.
 */
import * as Y from "yjs";
import { MAX_ANSWER_MESSAGE_BYTES, answerInParts, framesInParts } from "./answer-parts.js";
import { YjsError } from "./errors.js";
import { sameBytes, step1Frame, step2Frame } from "./frames.js";

export class SyncAnswers {
  #step1: Uint8Array | null = null;
  #step2: { stateVector: Uint8Array; frame: Uint8Array } | null = null;
  /** The last whole answer was too large for one message (the next is cut without being encoded whole first). */
  #large = false;

  constructor(private readonly doc: Y.Doc) {}

  /** The document changed (or parked pending structs, which a step 2 includes). */
  forget(): void {
    this.#step1 = null;
    this.#step2 = null;
  }

  /** Sync step 1: the document's state vector. */
  step1(): Uint8Array {
    return (this.#step1 ??= step1Frame(Y.encodeStateVector(this.doc)));
  }

  /**
   * The answer to a sync step 1: what the document has beyond `stateVector` (`ERR_INVALID_STATE_VECTOR`). One over
   * `MAX_ANSWER_MESSAGE_BYTES` is a stand-in for its parts (answer-parts.ts), which `Peer.send` sends.
   */
  step2(stateVector: Uint8Array): Uint8Array {
    const cached = this.#step2;
    if (cached && sameBytes(cached.stateVector, stateVector)) return cached.frame;
    let frame: Uint8Array;
    try {
      frame = this.#answer(stateVector);
    } catch (error) {
      throw new YjsError("ERR_INVALID_STATE_VECTOR", `not a state vector: ${(error as Error).message}`, { cause: error });
    }
    this.#step2 = { stateVector: stateVector.slice(), frame }; // a copy: the argument is a view into a frame
    return frame;
  }

  #answer(stateVector: Uint8Array): Uint8Array {
    // A document known to be too large for one message is cut at once: encoding it whole first would only measure it.
    const parts = this.#large ? answerInParts(this.doc, Y.decodeStateVector(stateVector), MAX_ANSWER_MESSAGE_BYTES) : undefined;
    if (parts !== undefined) {
      this.#large = parts.length > 1;
      return parts.length > 1 ? framesInParts(parts) : parts[0]!;
    }
    const diff = Y.encodeStateAsUpdate(this.doc, stateVector);
    if (diff.byteLength <= MAX_ANSWER_MESSAGE_BYTES) return step2Frame(diff);
    this.#large = true;
    const cut = answerInParts(this.doc, Y.decodeStateVector(stateVector), MAX_ANSWER_MESSAGE_BYTES);
    return cut ? framesInParts(cut) : step2Frame(diff);
  }

  /**
   * Keeps `frame` as the answer to a step 1 with `stateVector` until the next transaction; not one too large for a
   * message (the stored bytes a cold load answered with): the next such step 1 gets the answer in parts.
   */
  remember(stateVector: Uint8Array, frame: Uint8Array): void {
    if (frame.byteLength > MAX_ANSWER_MESSAGE_BYTES) return void (this.#large = true);
    this.#step2 = { stateVector, frame };
  }
}
