/**
 * The frames that depend only on the document's state, kept until its next transaction (the session calls
 * `forget()` after each): N clients connecting to an unchanged document cost one state-vector encode and, when
 * they send the same state vector (fresh clients: the empty one), one step 2 encode.
 */
import * as Y from "yjs";
import { YjsError } from "./errors.js";
import { sameBytes, step1Frame, step2Frame } from "./frames.js";

export class SyncAnswers {
  #step1: Uint8Array | null = null;
  #step2: { stateVector: Uint8Array; frame: Uint8Array } | null = null;

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

  /** The answer to a sync step 1: what the document has beyond `stateVector` (`ERR_INVALID_STATE_VECTOR`). */
  step2(stateVector: Uint8Array): Uint8Array {
    const cached = this.#step2;
    if (cached && sameBytes(cached.stateVector, stateVector)) return cached.frame;
    let diff: Uint8Array;
    try {
      diff = Y.encodeStateAsUpdate(this.doc, stateVector);
    } catch (error) {
      throw new YjsError("ERR_INVALID_STATE_VECTOR", `not a state vector: ${(error as Error).message}`, { cause: error });
    }
    const frame = step2Frame(diff);
    this.#step2 = { stateVector: stateVector.slice(), frame }; // a copy: the argument is a view into a frame
    return frame;
  }

  /** Keeps `frame` as the answer to a step 1 with `stateVector` until the next transaction. */
  remember(stateVector: Uint8Array, frame: Uint8Array): void {
    this.#step2 = { stateVector, frame };
  }
}
