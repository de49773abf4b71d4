/** Rooms that are live or stored, with both numbers: `GET /parties/{party}`, and the admin API's `yparty list`. */
import type { Storage } from "../../persistence/types.js";
import type { RoomRegistry } from "./registry.js";
import { parseStorageName, storageName } from "./room-names.js";

export interface RoomListing {
  party: string;
  id: string;
  /** Open connections now (0 for a room that is only stored). */
  connections: number;
  storedBytes: number;
  storedUpdates: number;
}

export type PartyRoomListing = Omit<RoomListing, "party">;

export interface PartyListing {
  party: string;
  rooms: PartyRoomListing[];
}

/** Every room (or one party's), sorted by party then id. */
export async function listRooms(registry: RoomRegistry, storage: Storage, party?: string): Promise<RoomListing[]> {
  const rows = new Map<string, RoomListing>();
  for (const room of registry.list()) {
    if (party !== undefined && room.party !== party) continue;
    rows.set(storageName(room.party, room.id), { party: room.party, id: room.id, connections: room.connections.size, storedBytes: 0, storedUpdates: 0 });
  }
  for (const name of await storage.docs.names()) {
    const ref = parseStorageName(name);
    if (!ref || (party !== undefined && ref.party !== party)) continue;
    const stats = await storage.docs.stats(name);
    const row = rows.get(name) ?? { party: ref.party, id: ref.roomId, connections: 0, storedBytes: 0, storedUpdates: 0 };
    rows.set(name, { ...row, storedBytes: stats.bytes, storedUpdates: stats.updates });
  }
  return [...rows.values()].sort((a, b) => a.party.localeCompare(b.party) || a.id.localeCompare(b.id));
}

export async function listParty(registry: RoomRegistry, storage: Storage, party: string): Promise<PartyListing> {
  const rooms = await listRooms(registry, storage, party);
  return { party, rooms: rooms.map(({ party: _party, ...room }) => room) };
}
