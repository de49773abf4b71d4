/** Rooms that are live or stored, with both numbers: `GET /parties/{party}`, and the admin API's `yparty list`. */
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
  storedBytes: number;
  storedUpdates: number;
  /** Its stored data could not be read (its sizes are then 0): the storage error's code, e.g. `ERR_STORAGE_READ`. */
  storageError?: string;
}

export type PartyRoomListing = Omit<RoomListing, "party">;

export interface PartyListing {
  party: string;
  rooms: PartyRoomListing[];
}

/** Every room (or one party's), sorted by party then id. A room whose data cannot be read is listed as such (and logged). */
export async function listRooms(registry: RoomRegistry, storage: Storage, logger: Pick<Logger, "warn">, party?: string): Promise<RoomListing[]> {
  const rows = new Map<string, RoomListing>();
  for (const room of registry.list()) {
    if (party !== undefined && room.party !== party) continue;
    rows.set(storageName(room.party, room.id), { party: room.party, id: room.id, connections: room.connections.size, storedBytes: 0, storedUpdates: 0 });
  }
  for (const name of await storage.docs.names()) {
    const ref = parseStorageName(name);
    if (!ref || (party !== undefined && ref.party !== party)) continue;
    const row = rows.get(name) ?? { party: ref.party, id: ref.roomId, connections: 0, storedBytes: 0, storedUpdates: 0 };
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

export async function listParty(registry: RoomRegistry, storage: Storage, logger: Pick<Logger, "warn">, party: string): Promise<PartyListing> {
  const rooms = await listRooms(registry, storage, logger, party);
  return { party, rooms: rooms.map(({ party: _party, ...room }) => room) };
}
