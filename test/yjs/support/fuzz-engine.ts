/**
 * The structure-aware fuzzer's oracle and its room-core target, shared by test/yjs/fuzz-oracle.test.ts (a few
 * thousand inputs, in `npm test`) and soak/fuzz.ts (a million, `npm run soak`). Inputs: fuzz-inputs.ts.
 * Oracle: a reference Y.Doc applies exactly the updates the server took; the server's document must equal it
 * (state vector and JSON), live and after a restart. Every refusal must carry a documented close code or status.
 */
import { isDeepStrictEqual } from "node:util";
import * as Y from "yjs";
import { decodeMessage, encodeQueryAwareness, encodeSyncStep1 } from "../../../src/protocol/index.js";
import { sameBytes } from "../../../src/yjs/frames.js";
import { docToJson } from "../../../src/yjs/json-export.js";
import { settlePending, withPendingAside } from "../../../src/yjs/pending.js";
import type { DocumentSession } from "../../../src/yjs/session.js";
import type { SessionConnection } from "../../../src/yjs/peer.js";
import type { FuzzInput } from "./fuzz-inputs.js";

/** Close codes a refused frame may get, with the error codes their reasons start with (docs/protocol.md). */
export const DOCUMENTED_REFUSALS: Record<number, RegExp> = {
  1007: /^ERR_(TRUNCATED|EMPTY_FRAME|UNKNOWN_MESSAGE_TYPE|UNKNOWN_SYNC_TYPE|TRAILING_BYTES|BAD_BATCH|INVALID_UPDATE|INVALID_STATE_VECTOR|INVALID_AWARENESS|UNEXPECTED_MESSAGE)\b/,
  1009: /^ERR_(UPDATE|PENDING)_TOO_LARGE\b/,
};

/** HTTP answers a refused POST may get. */
export const DOCUMENTED_HTTP_REFUSALS: Record<number, RegExp> = {
  400: /^ERR_(INVALID_UPDATE|BAD_REQUEST)$/,
  413: /^ERR_(UPDATE_TOO_LARGE|PENDING_TOO_LARGE|BODY_TOO_BIG)$/,
};

/**
 * The reference document and the tally. The reference is a plain Y.Doc that handles pending structs as a room does
 * (src/yjs/pending.ts): retried on their own after each update, and dropped once the document has their IDs (plain
 * Yjs keeps them, and one with a forged ID then blocks that client's later structs for good).
 */
export class Oracle {
  readonly reference: Y.Doc;
  tried = 0;
  accepted = 0;
  /** Pending structs that threw when retried (dropped, as a room does). */
  pendingDropped = 0;
  readonly refusedBy = new Map<string, number>();
  readonly undocumented: string[] = [];
  /** Accepted inputs the reference could not apply (the server took what Yjs cannot apply whole). */
  readonly referenceFailures: string[] = [];

  /** `gc` as the room's: the JSON export of a root of unknown kind looks at deleted content that gc keeps. */
  constructor(base: Uint8Array, gc = true) {
    this.reference = new Y.Doc({ gc });
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
  readonly doc: Y.Doc;
  /** `gc` as the room's (see Oracle). */
  constructor(
    readonly id: string,
    gc: boolean,
  ) {
    this.doc = new Y.Doc({ gc });
  }
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
  readonly mirror: Mirror;

  constructor(private readonly session: DocumentSession) {
    this.mirror = new Mirror("mirror", session.doc.gc);
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
