/**
 * The live document of each room, whoever opened it: y-partykit's `onConnect`/`unstable_getYDoc` (through the
 * SessionRegistry) or the room's own instance (`YServer`, `DocumentParty`). Server code that reaches a room's document
 * from outside its face (y-partykit/storage) asks here, so a change reaches the session its editors are on instead of
 * the store behind it (where the session's next compaction, writing its state over the log, would erase it).
 */
import type { Room } from "../runtime/party-types.js";
import { type DocumentKey, DocumentTable } from "./document-table.js";
import { tryDocumentStorage } from "./room-context.js";
import type { DocumentSession } from "./session.js";

const opened = new DocumentTable<DocumentSession>();

export function documentKey(room: Room): DocumentKey {
  const storage = tryDocumentStorage(room);
  return storage ? { scope: storage.store, name: storage.name } : { scope: room, name: room.id };
}

/** Records `session` as the document of `key` (replacing one that stopped or failed). */
export function opensDocument(key: DocumentKey, session: DocumentSession): void {
  opened.set(key, session);
}

/** Forgets `session` as the document of `key`, unless another has taken its place. */
export function closesDocument(key: DocumentKey, session: DocumentSession): void {
  opened.deleteIf(key, session);
}

/** The session last recorded as the document of `key`, whatever its state. */
export function openedDocument(key: DocumentKey): DocumentSession | undefined {
  return opened.get(key);
}

/**
 * The session holding the document of `key` that has read (or is reading) the store: loading or ready. One merely
 * created has read nothing yet, so what is added to the store meanwhile is in what it loads.
 */
export function liveDocument(key: DocumentKey): DocumentSession | undefined {
  const session = openedDocument(key);
  return session?.state === "loading" || session?.state === "ready" ? session : undefined;
}
