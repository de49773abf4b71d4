/**
 * Rooms that are live or stored, with their numbers: `GET /parties/{party}`, and the admin API's `yparty list`. Stored
 * means a Yjs document or `room.storage` entries (a PartyKit room that keeps no document is listed by its keys).
 */
import type { Storage } from "../../persistence/types.js";
import { codeOf } from "./errors.js";
import type { Logger } from "./log.js";
import type { RoomRegistry } from "./registry.js";
import { parseStorageName, storageName } from "./room-names.js";

export interface RoomListing {
  party: string;
  id: string;
  /** Open connections now (0 for a room that is only stored). */
  connections: number;
  /** Its stored Yjs document: bytes and updates (0 for a room without one). */
  storedBytes: number;
  storedUpdates: number;
  /** Entries in its `room.storage` (0 for none). */
  storedKeys: number;
  /** Its stored data could not be read (its sizes are then 0): the storage error's code, e.g. `ERR_STORAGE_READ`. */
  storageError?: string;
}

export type PartyRoomListing = Omit<RoomListing, "party">;

export interface PartyListing {
  party: string;
  rooms: PartyRoomListing[];
}

/** A room's row before anything stored of it is read. */
export const roomRow = (party: string, id: string, connections = 0): RoomListing => ({
  party,
  id,
  connections,
  storedBytes: 0,
  storedUpdates: 0,
  storedKeys: 0,
});

/** Every room (or one party's), sorted by party then id. A room whose data cannot be read is listed as such (and logged). */
export async function listRooms(registry: RoomRegistry, storage: Storage, logger: Pick<Logger, "warn">, party?: string): Promise<RoomListing[]> {
  const rows = new Map<string, RoomListing>();
  const wanted = (name: string) => {
    const ref = parseStorageName(name);
    return ref && (party === undefined || ref.party === party) ? ref : undefined;
  };
  for (const room of registry.list()) {
    if (party !== undefined && room.party !== party) continue;
    rows.set(storageName(room.party, room.id), roomRow(room.party, room.id, room.connections.size));
  }
  for (const [name, entries] of await kvRoomsOrNone(storage, logger)) {
    const ref = wanted(name);
    if (ref) rows.set(name, { ...(rows.get(name) ?? roomRow(ref.party, ref.roomId)), storedKeys: entries });
  }
  for (const name of await storage.docs.names()) {
    const ref = wanted(name);
    if (!ref) continue;
    const row = rows.get(name) ?? roomRow(ref.party, ref.roomId);
    try {
      const stats = await storage.docs.stats(name);
      rows.set(name, { ...row, storedBytes: stats.bytes, storedUpdates: stats.updates });
    } catch (error) {
      // One damaged room does not hide the others: it is listed, marked.
      const code = codeOf(error, "ERR_STORAGE_READ");
      logger.warn("storage.list_failed", { code, party: ref.party, room: ref.roomId, error });
      rows.set(name, { ...row, storageError: code });
    }
  }
  return [...rows.values()].sort((a, b) => a.party.localeCompare(b.party) || a.id.localeCompare(b.id));
}

/** The rooms holding `room.storage` entries; none (logged) when the store cannot list them: the documents still are. */
async function kvRoomsOrNone(storage: Storage, logger: Pick<Logger, "warn">): Promise<Map<string, number>> {
  try {
    return await storage.kvRooms();
  } catch (error) {
    logger.warn("storage.list_failed", { code: codeOf(error, "ERR_STORAGE_READ"), error });
    return new Map();
  }
}

export async function listParty(registry: RoomRegistry, storage: Storage, logger: Pick<Logger, "warn">, party: string): Promise<PartyListing> {
  const rooms = await listRooms(registry, storage, logger, party);
  return { party, rooms: rooms.map(({ party: _party, ...room }) => room) };
}
