/**
 * Applying the document and awareness messages of the wire protocol to a Y.Doc and an Awareness, the same
 * for frames from the server and from other tabs. Encoding and decoding are the shared codec's
 * (`src/protocol`); this module only decides what each message does and what it answers.
 */
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import { encodeAwareness, encodeSyncStep1, encodeSyncStep2, type Message } from "../src/protocol/index.js";

export interface SyncTarget {
  doc: Y.Doc;
  awareness: awarenessProtocol.Awareness;
  /** The transaction origin remote changes are applied with, so the provider does not echo them. */
  origin: unknown;
  /** A step 2 sends the doc's own client's structs from this clock, even those the peer says it has (save-status.ts). */
  ownStructsFrom?: number;
}

/**
 * Applies a sync or awareness message and returns the answer it needs, if any: a step 1 is answered with
 * the step 2 the peer lacks, a query with every awareness state known here.
 */
export function applyMessage(message: Message, target: SyncTarget): Uint8Array | null {
  switch (message.type) {
    case "sync-step1":
      return encodeSyncStep2(Y.encodeStateAsUpdate(target.doc, lowered(message.stateVector, target.doc.clientID, target.ownStructsFrom)));
    case "sync-step2":
    case "update":
      Y.applyUpdate(target.doc, message.update, target.origin);
      return null;
    case "awareness":
      awarenessProtocol.applyAwarenessUpdate(target.awareness, message.update, target.origin);
      return null;
    case "query-awareness":
      return allAwarenessStates(target.awareness);
    default:
      // permission-denied and durable-ack concern the connection, not the document.
      return null;
  }
}

/** `stateVector` with `client`'s clock at most `clock`. */
function lowered(stateVector: Uint8Array, client: number, clock: number | undefined): Uint8Array {
  if (clock === undefined) return stateVector;
  const clocks = Y.decodeStateVector(stateVector);
  if ((clocks.get(client) ?? 0) <= clock) return stateVector;
  clocks.set(client, clock);
  return Y.encodeStateVector(clocks);
}

/** "Here is my state vector": the opening of every sync. */
export const localSyncStep1 = (doc: Y.Doc): Uint8Array => encodeSyncStep1(Y.encodeStateVector(doc));

/** The whole document as a step 2 (for tabs that joined before we knew their state). */
export const localSyncStep2 = (doc: Y.Doc): Uint8Array => encodeSyncStep2(Y.encodeStateAsUpdate(doc));

/** The awareness entries of `clients`, with `states` overriding what the Awareness holds (for "gone"). */
export const awarenessOf = (awareness: awarenessProtocol.Awareness, clients: number[], states?: Map<number, unknown>): Uint8Array =>
  encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(awareness, clients, states as Map<number, Record<string, unknown>>));

export const allAwarenessStates = (awareness: awarenessProtocol.Awareness): Uint8Array => awarenessOf(awareness, Array.from(awareness.getStates().keys()));

/** Our own client's awareness entry announced as gone (state null), without touching the local state. */
export const localAwarenessGone = (awareness: awarenessProtocol.Awareness): Uint8Array => awarenessOf(awareness, [awareness.clientID], new Map());

/** Drops every awareness state except our own (after the connection that brought them is gone). */
export function removeRemoteAwareness(awareness: awarenessProtocol.Awareness, origin: unknown): void {
  const remote = Array.from(awareness.getStates().keys()).filter((client) => client !== awareness.clientID);
  if (remote.length > 0) awarenessProtocol.removeAwarenessStates(awareness, remote, origin);
  for (const client of remote) awareness.meta.delete(client);
}
