/**
 * One mount's view of its protocol's live rooms: what `room.list` answers and where `room.join_or_create` without a
 * name finds a free seat. The listings and promised seats (`listings`) and the seats matches hold (`seats`) are given:
 * they outlive the mount (room-listings.ts, held-seats.ts), a session open across a reload reading the same as the
 * next mount's; `maxClientsOf` is this mount's code's.
 * Process-local: with the cluster it moves behind the registry.
 */
import { HeldSeats } from "./held-seats.js";
import { RoomListings } from "./room-listings.js";
import type { RoomListing } from "./wire/index.js";

export type { RoomListing };

export class RoomDirectory {
  /**
   * `maxClientsOf`: the room type's seats, for rooms promised seats before they are listed (still being created).
   * `seats`: those matches hold for their participants not in yet (no unnamed join takes one).
   */
  constructor(
    readonly maxClientsOf: (roomType: string) => number = () => Number.POSITIVE_INFINITY,
    readonly seats: HeldSeats = new HeldSeats(),
    readonly listings: RoomListings = new RoomListings(),
  ) {}

  /** `listed` false: the room is known (its seats, its name taken) but neither listed nor matched (locked, private). */
  update(listing: RoomListing, listed = true): void {
    this.listings.update(listing, listed);
  }

  remove(roomType: string, room: string): void {
    this.listings.remove(roomType, room);
  }

  /**
   * The listings as `room.list` answers them: `clients` counts every seat a join could not take, as Colyseus's listing
   * does (a reserved seat counts there from its reservation): the players seated (the room's own count), the seats a
   * match holds for its participants not in yet and those promised to joins on their way. A room it lists full refuses
   * a named join "full", and the reverse. A room still being created for a join (its first `onCreate` running) is
   * listed too, with those joins, so that a second client does not make another one or wait for nothing.
   */
  list(roomType?: string): RoomListing[] {
    const listed = [...this.listings.of(roomType)].map((listing) => ({
      ...listing,
      clients: Math.min(listing.max_clients, this.#taken(listing) + (this.listings.promised(listing.room_type).get(listing.room) ?? 0)),
    }));
    for (const type of roomType === undefined ? this.listings.promisedTypes() : [roomType]) {
      const max = this.maxClientsOf(type);
      for (const [room, seats] of this.listings.promised(type))
        if (!this.listings.has(type, room)) listed.push({ room, room_type: type, clients: Math.min(max, seats), max_clients: max, metadata: {} });
    }
    return listed;
  }

  /** A join names `room` (its room created for it, if need be): its seat is promised until `release`. */
  promise(roomType: string, room: string): void {
    this.listings.promise(roomType, room);
  }

  /** The seats of `listing`'s room no join may take: its seated players and those matches hold (held-seats.ts). */
  #taken(listing: RoomListing): number {
    return listing.clients + (this.seats.reservedFor(listing.room_type, listing.room)?.size ?? 0);
  }

  /**
   * The room an unnamed join of `roomType` goes to: one with a free seat, counting the seats promised to joins still
   * on their way (so players arriving together fill a room, also one still being created, before the next is made),
   * skipping rooms `skip` names; else a new one (`newName`). Its seat is promised until `release`.
   */
  seatFor(roomType: string, skip: (room: string) => boolean, newName: () => string): string {
    const promised = this.listings.promised(roomType);
    let chosen: string | undefined;
    for (const listing of this.listings.of(roomType)) {
      // Seats promised to joins on their way are not free either.
      if (!skip(listing.room) && this.#taken(listing) + (promised.get(listing.room) ?? 0) < listing.max_clients) {
        chosen = listing.room;
        break;
      }
    }
    if (chosen === undefined) {
      const max = this.maxClientsOf(roomType);
      for (const [room, seats] of promised) {
        if (!this.listings.has(roomType, room) && !skip(room) && seats < max) {
          chosen = room;
          break;
        }
      }
    }
    chosen ??= newName();
    this.listings.promise(roomType, chosen);
    return chosen;
  }

  /** The join `seatFor` promised a seat of `room` to is done (joined, refused or given up). */
  release(roomType: string, room: string): void {
    this.listings.release(roomType, room);
  }
}
