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
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  isBatchMarker,
} from "../protocol/index.js";
import { READ_ONLY_REASON } from "./defaults.js";
import { YjsError } from "./errors.js";
import { Peer, type SessionConnection } from "./peer.js";
import type { SharedDoc } from "./shared-doc.js";
import { validateAwarenessUpdate, validateUpdate, wouldChange } from "./validate.js";

export interface ConversationHooks {
  isReadOnly?: ((conn: SessionConnection) => boolean) | undefined;
  /** Resolves once everything applied so far is stored. */
  whenDurable(): Promise<void>;
  refuse(peer: Peer, error: ProtocolError | YjsError): void;
}

export class Conversation {
  constructor(
    private readonly doc: SharedDoc,
    private readonly hooks: ConversationHooks,
  ) {}

  /** What a new connection gets first: sync step 1, then every awareness state the room knows. */
  greet(peer: Peer): void {
    peer.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
    if (this.doc.awareness.getStates().size > 0) this.#sendAwarenessStates(peer);
  }

  /**
   * Handles one frame. Returns the text of a custom message for the caller to deliver (user code), or
   * `null`. Refused frames are handed to `hooks.refuse`; other throws (user code) propagate.
   */
  handle(peer: Peer, data: Uint8Array | string): string | null {
    try {
      if (typeof data === "string") {
        if (!isBatchMarker(data)) return decodeCustomMessage(data); // other text is not ours: ignored
        const whole = peer.chunks.marker(data);
        if (whole) this.#handleFrame(peer, whole);
      } else {
        const whole = peer.chunks.binary(data);
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
    switch (message.type) {
      case "sync-step1":
        peer.send(encodeSyncStep2(this.#diff(message.stateVector)));
        return;
      case "sync-step2":
      case "update":
        return this.#receiveUpdate(peer, message.update);
      case "awareness":
        validateAwarenessUpdate(message.update);
        awarenessProtocol.applyAwarenessUpdate(this.doc.awareness, message.update, peer);
        return;
      case "query-awareness":
        return this.#sendAwarenessStates(peer);
      default:
        throw new YjsError("ERR_UNEXPECTED_MESSAGE", `clients do not send ${message.type} messages`);
    }
  }

  #diff(stateVector: Uint8Array): Uint8Array {
    try {
      return Y.encodeStateAsUpdate(this.doc, stateVector);
    } catch (error) {
      throw new YjsError("ERR_INVALID_STATE_VECTOR", `not a state vector: ${(error as Error).message}`, { cause: error });
    }
  }

  /** A sync step 2 or update: validated, then applied unless read-only; counted for durable acks either way. */
  #receiveUpdate(peer: Peer, update: Uint8Array): void {
    validateUpdate(update);
    const count = ++peer.received;
    if (peer.readOnly || this.hooks.isReadOnly?.(peer.conn)) {
      if (!peer.toldReadOnly && wouldChange(this.doc, update)) {
        peer.toldReadOnly = true;
        peer.send(encodePermissionDenied(READ_ONLY_REASON));
      }
    } else {
      try {
        Y.applyUpdate(this.doc, update, peer);
      } catch (error) {
        throw new YjsError("ERR_INVALID_UPDATE", `Yjs refused the update: ${(error as Error).message}`, { cause: error });
      }
    }
    if (peer.wantsAcks) {
      // A failed write is logged by the update log; the connection then simply gets no ack for it.
      this.hooks.whenDurable().then(() => peer.ack(count), () => {});
    }
  }

  #sendAwarenessStates(peer: Peer): void {
    const clients = [...this.doc.awareness.getStates().keys()];
    peer.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.doc.awareness, clients)));
  }

  broadcastUpdate(peers: Iterable<Peer>, update: Uint8Array): void {
    const frame = encodeUpdate(update);
    for (const peer of peers) peer.send(frame);
  }

  /** Tracks which client ids a connection controls, and relays every awareness change to all. */
  broadcastAwareness(peers: Iterable<Peer>, change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown): void {
    if (origin instanceof Peer) {
      const ids = origin.awarenessIds;
      for (const id of change.added) ids.add(id);
      for (const id of change.removed) ids.delete(id);
    }
    const changed = change.added.concat(change.updated, change.removed);
    const frame = encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.doc.awareness, changed));
    for (const peer of peers) peer.send(frame);
  }

  /** A connection left: its awareness states are removed, and everyone is told. */
  forget(peer: Peer): void {
    if (peer.awarenessIds.size === 0 || this.doc.isDestroyed) return;
    awarenessProtocol.removeAwarenessStates(this.doc.awareness, [...peer.awarenessIds], null);
  }
}
