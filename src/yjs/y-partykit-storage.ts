/**
 * `y-partykit/storage`, over yparty's document store. On PartyKit, y-partykit's `persist` writes a room's document
 * into `room.storage` under its own keys, and `new YPartyKitStorage(room.storage).getYDoc(room.id)` reads it back (a
 * debug endpoint, a server-side export). yparty keeps the document in its DocStore instead, so the real module read
 * keys nobody writes and gave an empty document; this one reads and writes the room's document wherever it lives.
 * y-partykit's raw key helpers (`levelGet`, `getLevelBulkData`, …) address a layout yparty does not have: they
 * throw, saying what to use.
 */
import * as Y from "yjs";
import { roomOfStorage } from "../runtime/document-storage.js";
import type { Room, Storage } from "../runtime/party-types.js";
import { storeDocumentUpdate, storedDocument } from "./partykit.js";

/** The room whose document `docName` names: yparty keeps one document per room, named by the room's id. */
function roomFor(storage: Storage, docName: string, method: string): Room {
  const room = roomOfStorage(storage);
  if (docName !== room.id) {
    throw new TypeError(`YPartyKitStorage.${method}: yparty keeps one document per room, named by its id ("${room.id}"); got "${docName}"`);
  }
  return room;
}

export class YPartyKitStorage {
  readonly db: Storage;
  /** y-partykit's queue of storage work: kept for code that awaits it. */
  tr: Promise<unknown> = Promise.resolve();

  constructor(storage: Storage) {
    this.db = storage;
  }

  /** A new Y.Doc holding the room's document (empty when nothing is stored), as y-partykit's does. */
  async getYDoc(docName: string): Promise<Y.Doc> {
    const doc = new Y.Doc();
    const state = await storedDocument(roomFor(this.db, docName, "getYDoc"));
    if (state) Y.applyUpdate(doc, state);
    return doc;
  }

  async getStateVector(docName: string): Promise<Uint8Array> {
    return Y.encodeStateVector(await this.getYDoc(docName));
  }

  /** Adds `update` to the room's document. y-partykit resolves with the update's key clock; yparty's log has none: 0. */
  async storeUpdate(docName: string, update: Uint8Array): Promise<number> {
    const room = roomFor(this.db, docName, "storeUpdate");
    await storeDocumentUpdate(room, update);
    return 0;
  }

  /** yparty compacts a document's log itself (docs/persistence.md): nothing to do. */
  async compactUpdateLog(_docName: string, _maxUpdates: number, _maxBytes: number): Promise<void> {}

  _transact<T>(f: (storage: Storage) => Promise<T>): Promise<T> {
    const next = this.tr.then(() => f(this.db));
    this.tr = next.catch(() => {});
    return next;
  }
}

const noKeyLayout = (name: string) => (): never => {
  throw new Error(
    `y-partykit/storage's ${name}() reads y-partykit's own keys in room.storage; yparty stores documents elsewhere: use new YPartyKitStorage(room.storage).getYDoc(room.id) or unstable_getYDoc(room)`,
  );
};

export const levelGet = noKeyLayout("levelGet");
export const levelPut = noKeyLayout("levelPut");
export const getLevelBulkData = noKeyLayout("getLevelBulkData");
export const getLevelKeyRangeAsEncoded = noKeyLayout("getLevelKeyRangeAsEncoded");
export const clearRange = noKeyLayout("clearRange");
