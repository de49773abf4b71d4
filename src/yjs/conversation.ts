/**
 * The y-protocols conversation between the room's document and its connections: greeting, sync,
 * awareness, custom-message and chunked-frame handling. Every frame is decoded once with src/protocol;
 * every outgoing change is encoded once and the same bytes go to every connection.
 * A frame it refuses (ProtocolError, YjsError) goes to `refuse` before anything is applied.
 */
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import {
  ProtocolError,
  decodeCustomMessage,
  decodeMessage,
  encodeAwareness,
  encodePermissionDenied,
  isBatchMarker,
} from "../protocol/index.js";
import { AwarenessOwners, type AwarenessRefusal } from "./awareness-owners.js";
import { MAX_AWARENESS_IDS_PER_CONNECTION, READ_ONLY_REASON } from "./defaults.js";
import { YjsError } from "./errors.js";
import { sameBytes, step1Frame, step2Frame, updateFrame } from "./frames.js";
import type { Peer, SessionConnection } from "./peer.js";
import type { SharedDoc } from "./shared-doc.js";
import { UpdateBatch } from "./update-batch.js";
import { isEmptyUpdate, validateAgainst, validateAwarenessUpdate, validateUpdate, wouldChange, type UpdateLimits } from "./validate.js";

export interface ConversationHooks {
  isReadOnly?: ((conn: SessionConnection) => boolean) | undefined;
  /** Resolves once everything applied so far is stored. */
  whenDurable(): Promise<void>;
  refuse(peer: Peer, error: ProtocolError | YjsError): void;
  /** Awareness client ids one connection may own (default `MAX_AWARENESS_IDS_PER_CONNECTION`). */
  maxAwarenessIds?: number | undefined;
  /** The first awareness entry of `peer` that was dropped (see AwarenessOwners). */
  awarenessRefused?(peer: Peer, clientId: number, reason: AwarenessRefusal): void;
  /** Throws (a YjsError) when the document may not take `update` (see DocumentSize). */
  admit(update: Uint8Array): void;
  /** Pending structs threw when retried (see UpdateBatchHooks.pendingDropped). */
  pendingDropped(error: Error): void;
}

export class Conversation {
  readonly #batch: UpdateBatch;
  readonly #owners: AwarenessOwners<Peer>;
  /**
   * Frames that depend only on the document's state, kept until its next transaction: N clients connecting to
   * an unchanged document cost one state-vector encode and, when they send the same state vector (fresh
   * clients: the empty one), one step 2 encode.
   */
  #step1: Uint8Array | null = null;
  #step2: { stateVector: Uint8Array; frame: Uint8Array } | null = null;
  readonly #forgetState = (): void => {
    this.#step1 = null;
    this.#step2 = null;
  };

  constructor(
    private readonly doc: SharedDoc,
    private readonly limits: UpdateLimits,
    private readonly hooks: ConversationHooks,
  ) {
    this.#batch = new UpdateBatch(doc, {
      applied: (peer, count) => this.#acknowledge(peer, count),
      failed: (peer, error, appliedCount) => {
        this.#acknowledge(peer, appliedCount);
        this.hooks.refuse(peer, error);
      },
      pendingDropped: (error) => this.hooks.pendingDropped(error),
    });
    this.#owners = new AwarenessOwners(doc.awareness, {
      maxIdsPerConnection: hooks.maxAwarenessIds ?? MAX_AWARENESS_IDS_PER_CONNECTION,
      onFirstRefusal: (peer, clientId, reason) => hooks.awarenessRefused?.(peer, clientId, reason),
    });
    // Every transaction, even one that only parks pending structs (which a step 2 includes), drops the cache.
    doc.on("afterTransaction", this.#forgetState);
  }

  /** Applies the updates received so far that still wait for the end of their socket read (see UpdateBatch). */
  flush(): void {
    this.#batch.flush();
  }

  /** What a new connection gets first: sync step 1, then every awareness state the room knows. */
  greet(peer: Peer): void {
    peer.send((this.#step1 ??= step1Frame(Y.encodeStateVector(this.doc))));
    if (this.doc.awareness.getStates().size > 0) this.#sendAwarenessStates(peer);
  }

  /**
   * Handles one frame. Returns the text of a custom message for the caller to deliver (user code), or
   * `null`. Refused frames are handed to `hooks.refuse`; other throws (user code) propagate.
   */
  handle(peer: Peer, data: Uint8Array | string): string | null {
    try {
      if (typeof data === "string") {
        this.#batch.flush(); // a custom message's handler may read the document
        if (!isBatchMarker(data)) return decodeCustomMessage(data); // other text is not ours: ignored
        const whole = peer.chunks.marker(data);
        if (whole) this.#handleFrame(peer, whole);
      } else {
        const whole = peer.inBatch ? peer.chunks.binary(data) : data;
        if (whole) this.#handleFrame(peer, whole);
      }
    } catch (error) {
      if (!(error instanceof ProtocolError) && !(error instanceof YjsError)) throw error;
      this.hooks.refuse(peer, error);
    }
    return null;
  }

  #handleFrame(peer: Peer, bytes: Uint8Array): void {
    const message = decodeMessage(bytes);
    // Only a run of updates from one connection is batched; anything else sees every update before it.
    if (message.type !== "update" && message.type !== "sync-step2") this.#batch.flush();
    switch (message.type) {
      case "sync-step1":
        peer.send(this.#step2Frame(message.stateVector));
        return;
      case "sync-step2":
      case "update":
        return this.#receiveUpdate(peer, message.update);
      case "awareness":
        return this.#receiveAwareness(peer, message.update);
      case "query-awareness":
        return this.#sendAwarenessStates(peer);
      default:
        throw new YjsError("ERR_UNEXPECTED_MESSAGE", `clients do not send ${message.type} messages`);
    }
  }

  /** Keeps `frame` as the answer to a step 1 with `stateVector` until the next transaction. */
  rememberStep2(stateVector: Uint8Array, frame: Uint8Array): void {
    this.#step2 = { stateVector, frame };
  }

  /** The answer to a sync step 1: what the document has beyond `stateVector`. */
  #step2Frame(stateVector: Uint8Array): Uint8Array {
    const cached = this.#step2;
    if (cached && sameBytes(cached.stateVector, stateVector)) return cached.frame;
    const frame = step2Frame(this.#diff(stateVector));
    this.#step2 = { stateVector: stateVector.slice(), frame }; // a copy: the argument is a view into a frame
    return frame;
  }

  #diff(stateVector: Uint8Array): Uint8Array {
    try {
      return Y.encodeStateAsUpdate(this.doc, stateVector);
    } catch (error) {
      throw new YjsError("ERR_INVALID_STATE_VECTOR", `not a state vector: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * A sync step 2 or update: validated now, applied with the rest of its burst unless read-only; counted
   * for durable acks either way. One that holds shared types is checked against the document with every
   * update before it applied.
   */
  #receiveUpdate(peer: Peer, update: Uint8Array): void {
    if (isEmptyUpdate(update)) return this.#acknowledge(peer, ++peer.received); // a fresh client's step 2: nothing to apply
    const shape = validateUpdate(update, this.limits);
    const readOnly = peer.readOnly || this.hooks.isReadOnly?.(peer.conn) === true;
    if (!readOnly && shape.types > 0) {
      this.#batch.flush();
      if (peer.refused) return; // an update before it in the burst was refused (a peer that left still counts)
      validateAgainst(this.doc, update, shape, this.limits);
    }
    const count = ++peer.received;
    if (readOnly) {
      this.#batch.flush();
      if (!peer.toldReadOnly && wouldChange(this.doc, update)) {
        peer.toldReadOnly = true;
        peer.send(encodePermissionDenied(READ_ONLY_REASON));
      }
      this.#acknowledge(peer, count);
    } else {
      this.hooks.admit(update); // may measure the document, which applies the burst so far
      if (peer.refused) return;
      this.#batch.add(peer, update, count);
    }
  }

  /** Acks the first `count` document messages once everything applied so far is stored. */
  #acknowledge(peer: Peer, count: number): void {
    if (!peer.wantsAcks || count === 0) return;
    // A failed write is logged by the update log; the connection then simply gets no ack for it.
    this.hooks.whenDurable().then(() => peer.ack(count), () => {});
  }

  /** Applies the entries of an awareness update that `peer` may write (see AwarenessOwners). */
  #receiveAwareness(peer: Peer, update: Uint8Array): void {
    validateAwarenessUpdate(update);
    const allowed = this.#owners.filter(peer, update);
    if (allowed) awarenessProtocol.applyAwarenessUpdate(this.doc.awareness, allowed, peer);
  }

  /** Awareness entries dropped since the room loaded (not owned by their sender, or past its cap). */
  get awarenessRefused(): number {
    return this.#owners.refused;
  }

  #sendAwarenessStates(peer: Peer): void {
    const clients = [...this.doc.awareness.getStates().keys()];
    peer.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.doc.awareness, clients)));
  }

  /** Sends a transaction's update to every connection but the one it all came from (see `UpdateBatch.soleAuthorOf`). */
  broadcastUpdate(peers: Iterable<Peer>, update: Uint8Array, transaction: Y.Transaction): void {
    const frame = updateFrame(update);
    const author = this.#batch.soleAuthorOf(transaction);
    for (const peer of peers) if (peer !== author) peer.send(frame);
  }

  /** Relays every awareness change to all; ids whose state timed out are free to be claimed again. */
  broadcastAwareness(peers: Iterable<Peer>, change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown): void {
    if (origin === "timeout") this.#owners.timedOut(change.removed);
    const changed = change.added.concat(change.updated, change.removed);
    const frame = encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.doc.awareness, changed));
    for (const peer of peers) peer.send(frame);
  }

  /** A connection left: the client ids it owned are free, their states removed, and everyone is told. */
  forget(peer: Peer): void {
    const ids = this.#owners.release(peer);
    if (ids.length === 0 || this.doc.isDestroyed) return;
    awarenessProtocol.removeAwarenessStates(this.doc.awareness, ids, null);
  }
}
