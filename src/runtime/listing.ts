/** `GET /parties/{party}`: the party's live rooms and stored documents. */
import type { ServerCore } from "./core.js";

export interface PartyRoomListing {
  id: string;
  /** Open connections now (0 for a room that is only stored). */
  connections: number;
  storedBytes: number;
  storedUpdates: number;
}

export interface PartyListing {
  party: string;
  rooms: PartyRoomListing[];
}

export async function listParty(core: ServerCore, party: string): Promise<PartyListing> {
  const prefix = `${party}/`;
  const docs = core.openedStorage().docs;
  const ids = new Set<string>();
  for (const name of await docs.names()) if (name.startsWith(prefix)) ids.add(name.slice(prefix.length));
  const live = new Map(core.registry.list().filter((room) => room.party === party).map((room) => [room.id, room]));
  for (const id of live.keys()) ids.add(id);
  const rooms = await Promise.all(
    [...ids].sort().map(async (id) => {
      const stats = await docs.stats(prefix + id);
      return { id, connections: live.get(id)?.connections.size ?? 0, storedBytes: stats.bytes, storedUpdates: stats.updates };
    }),
  );
  return { party, rooms };
}
