/** `documentStorage(room)`: how the Yjs layer reaches a room's DocStore without knowing the engine. */
import type { DocStore } from "../../persistence/types.js";
import { RuntimeError } from "./errors.js";
import type { Logger } from "./log.js";
import type { Room, Storage } from "./party-types.js";

/**
 * When a change of a shared document reaches the room's other connections: `"fast"` (the default) as soon as it is
 * applied, `"strict"` only once it is stored. The server's default (`createServer({ durability })`); a party may
 * set its own.
 */
export type Durability = "fast" | "strict";
export const DEFAULT_DURABILITY: Durability = "fast";

/** `createServer({ durability })`, checked: a typo must not quietly run a server without the guarantee asked for. */
export function durabilityOf(value: unknown): Durability {
  if (value === undefined) return DEFAULT_DURABILITY;
  if (value === "fast" || value === "strict") return value;
  throw new TypeError(`durability must be "fast" or "strict", got ${JSON.stringify(value)}`);
}

export interface DocumentStorage {
  store: DocStore;
  /** The document's name in the store: `${party}/${roomId}`. */
  name: string;
  /** The server's logger, so document warnings land where the rest of the room's log goes. */
  logger: Logger;
  /** `limits.maxDocumentBytes`: the largest document the room may hold. */
  maxDocumentBytes: number;
  /** `limits.idleUnloadMs`: how long a document nobody uses stays loaded. */
  idleUnloadMs: number;
  /** `limits.shutdownTimeoutMs`: how long a stop waits for what a document still does (its change callback). */
  shutdownTimeoutMs: number;
  /** The server's durability for documents whose party does not set its own. */
  durability: Durability;
  /** `createServer({ documentLimits })`: the document layer's limits by name, passed on unread (that layer checks them). */
  documentLimits: Readonly<Record<string, number>>;
  /**
   * The party keeps nothing of this room in memory (a request found no document): the runtime unloads the room
   * as soon as no connection, request or alarm holds it, instead of after `limits.idleUnloadMs`.
   */
  unloadWhenIdle(): void;
  /**
   * Runs `hook` as this room instance stops (idle unload, reload, server close): after its connections closed, before
   * its `onStop`, its storage still usable; awaited, at most `limits.shutdownTimeoutMs`. What a library keeps for the
   * instance (a document a request loaded) is flushed and let go there, not left to a later instance.
   */
  whenStopping(hook: () => unknown): void;
  /**
   * Aborted when the server begins to close (not at a reload or an idle unload, whose work the next instance or a later
   * one goes on with): what a room waits on that only a running server finishes (a timer, another room's answer) is
   * dropped then, rather than done, or logged, by a stopped server.
   */
  serverStopping: AbortSignal;
}

const byRoom = new WeakMap<object, DocumentStorage>();
/** y-partykit/storage's `YPartyKitStorage` is handed `room.storage`, not the room: the way back to it. */
const roomByStorage = new WeakMap<object, Room>();

export function registerDocumentStorage(room: Room, storage: DocumentStorage): void {
  byRoom.set(room, storage);
}

/** Says whose `room.storage` this is (made when the room first uses it). */
export function registerRoomStorage(storage: Storage, room: Room): void {
  roomByStorage.set(storage, room);
}

/** The room whose `room.storage` this is. */
export function roomOfStorage(storage: Storage): Room {
  const found = roomByStorage.get(storage);
  if (!found) throw new RuntimeError("ERR_NOT_A_ROOM", "YPartyKitStorage needs the room.storage yparty passed to the server (this.room.storage)");
  return found;
}

export function documentStorage(room: Room): DocumentStorage {
  const found = byRoom.get(room);
  if (!found) throw new RuntimeError("ERR_NOT_A_ROOM", "documentStorage() needs the Party.Room yparty passed to the server");
  return found;
}
