/**
 * The live rooms of a protocol, per room type (what `room.list` answers), and the seats promised to unnamed joins
 * still on their way: plain data, kept up to date by the rooms (created, clients changed, unloaded) and by the joins.
 * It outlives the mounts a reload replaces (`yparty dev`: one `MatchmakingState` keeps it), since a session open across
 * a rebuild stays its mount's while the rooms it lists come back as the next mount's instances; each mount's
 * `RoomDirectory` reads it with its code's room types. Process-local: with the cluster it moves behind the registry.
 */
import type { RoomListing } from "./wire/index.js";

export class RoomListings {
  readonly #byType = new Map<string, Map<string, RoomListing>>();
  /** Per room type, per room: seats promised to unnamed joins still on their way. */
  readonly #promised = new Map<string, Map<string, number>>();

  update(listing: RoomListing): void {
    let rooms = this.#byType.get(listing.room_type);
    if (!rooms) this.#byType.set(listing.room_type, (rooms = new Map()));
    rooms.set(listing.room, listing);
  }

  remove(roomType: string, room: string): void {
    this.#byType.get(roomType)?.delete(room);
  }

  /** The listings of `roomType` (every type's when undefined), as stored: the caller copies what it hands out. */
  of(roomType?: string): Iterable<RoomListing> {
    return roomType === undefined ? [...this.#byType.values()].flatMap((rooms) => [...rooms.values()]) : (this.#byType.get(roomType)?.values() ?? []);
  }

  has(roomType: string, room: string): boolean {
    return this.#byType.get(roomType)?.has(room) ?? false;
  }

  /** Per room of `roomType`, the seats promised to joins on their way. */
  promised(roomType: string): ReadonlyMap<string, number> {
    return this.#promised.get(roomType) ?? new Map<string, number>();
  }

  /** The room types with seats promised. */
  promisedTypes(): Iterable<string> {
    return this.#promised.keys();
  }

  promise(roomType: string, room: string): void {
    let promised = this.#promised.get(roomType);
    if (!promised) this.#promised.set(roomType, (promised = new Map()));
    promised.set(room, (promised.get(room) ?? 0) + 1);
  }

  release(roomType: string, room: string): void {
    const promised = this.#promised.get(roomType);
    const seats = (promised?.get(room) ?? 0) - 1;
    if (seats > 0) promised!.set(room, seats);
    else promised?.delete(room);
    if (promised?.size === 0) this.#promised.delete(roomType);
  }
}
