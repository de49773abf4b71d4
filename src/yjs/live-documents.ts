/**
 * The live document of each room, whoever opened it: y-partykit's `onConnect`/`unstable_getYDoc` (through the
 * SessionRegistry) or the room's own instance (`YServer`, `DocumentParty`). Server code that reaches a room's document
 * from outside its face (y-partykit/storage) asks here, so a change reaches the session its editors are on instead of
 * the store behind it (where the session's next compaction, writing its state over the log, would erase it).
 */
import type { Room } from "../runtime/party-types.js";
import { tryDocumentStorage } from "./room-context.js";
import type { DocumentSession } from "./session.js";

/** Where a room's document is named: its store and name, or the room itself when it has no store. */
export interface DocumentKey {
  scope: object;
  name: string;
}

const opened = new WeakMap<object, Map<string, DocumentSession>>();

export function documentKey(room: Room): DocumentKey {
  const storage = tryDocumentStorage(room);
  return storage ? { scope: storage.store, name: storage.name } : { scope: room, name: room.id };
}

/** Records `session` as the document of `key` (replacing one that stopped or failed). */
export function opensDocument({ scope, name }: DocumentKey, session: DocumentSession): void {
  let byName = opened.get(scope);
  if (!byName) opened.set(scope, (byName = new Map()));
  byName.set(name, session);
}

/** Forgets `session` as the document of `key`, unless another has taken its place. */
export function closesDocument({ scope, name }: DocumentKey, session: DocumentSession): void {
  const byName = opened.get(scope);
  if (byName?.get(name) === session) byName.delete(name);
}

/** The session last recorded as the document of `key`, whatever its state. */
export function openedDocument({ scope, name }: DocumentKey): DocumentSession | undefined {
  return opened.get(scope)?.get(name);
}

/**
 * The session holding the document of `key` that has read (or is reading) the store: loading or ready. One merely
 * created has read nothing yet, so what is added to the store meanwhile is in what it loads.
 */
export function liveDocument(key: DocumentKey): DocumentSession | undefined {
  const session = openedDocument(key);
  return session?.state === "loading" || session?.state === "ready" ? session : undefined;
}
