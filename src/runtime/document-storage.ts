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
