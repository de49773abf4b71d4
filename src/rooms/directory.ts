/**
 * The live rooms of one mount, per room type: what `room.list` answers and where `room.join_or_create` without a
 * name finds a free seat. The rooms keep it up to date (created, clients changed, unloaded). Process-local: with
 * the cluster it moves behind the registry.
 */
import type { RoomListing } from "./wire/index.js";

export type { RoomListing };

export class RoomDirectory {
  readonly #byType = new Map<string, Map<string, RoomListing>>();

  update(listing: RoomListing): void {
    let rooms = this.#byType.get(listing.room_type);
    if (!rooms) this.#byType.set(listing.room_type, (rooms = new Map()));
    rooms.set(listing.room, listing);
  }

  remove(roomType: string, room: string): void {
    this.#byType.get(roomType)?.delete(room);
  }

  list(roomType?: string): RoomListing[] {
    const types = roomType === undefined ? [...this.#byType.values()] : [this.#byType.get(roomType) ?? new Map<string, RoomListing>()];
    return types.flatMap((rooms) => [...rooms.values()].map((listing) => ({ ...listing })));
  }

  /** A room of `roomType` with a free seat, skipping `except` (rooms that just refused). */
  freeRoom(roomType: string, except: ReadonlySet<string>): string | undefined {
    for (const listing of this.#byType.get(roomType)?.values() ?? []) {
      if (listing.clients < listing.max_clients && !except.has(listing.room)) return listing.room;
    }
    return undefined;
  }
}
