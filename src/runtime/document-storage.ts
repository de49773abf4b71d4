/** `documentStorage(room)`: how the Yjs layer reaches a room's DocStore without knowing the engine. */
import type { DocStore } from "../../persistence/types.js";
import { RuntimeError } from "./errors.js";
import type { Logger } from "./log.js";
import type { Room } from "./party-types.js";

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
  /**
   * The party keeps nothing of this room in memory (a request found no document): the runtime unloads the room
   * as soon as no connection, request or alarm holds it, instead of after `limits.idleUnloadMs`.
   */
  unloadWhenIdle(): void;
}

const byRoom = new WeakMap<object, DocumentStorage>();

export function registerDocumentStorage(room: Room, storage: DocumentStorage): void {
  byRoom.set(room, storage);
}

export function documentStorage(room: Room): DocumentStorage {
  const found = byRoom.get(room);
  if (!found) throw new RuntimeError("ERR_NOT_A_ROOM", "documentStorage() needs the Party.Room yparty passed to the server");
  return found;
}
