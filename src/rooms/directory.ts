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

  /**
   * A live room's listing and its seated players (connected, or with a seat kept since a stop). `listed` false: the
   * room is known (its seats, its name taken) but neither listed nor matched (locked, private).
   */
  update(listing: RoomListing, seated: readonly string[], listed = true): void {
    this.listings.update(listing, seated, listed);
  }

  remove(roomType: string, room: string): void {
    this.listings.remove(roomType, room);
  }

  /**
   * The listings as `room.list` answers them: `clients` counts every seat a join could not take, as Colyseus's listing
   * does (a reserved seat counts there from its reservation): the players seated, those a match holds a seat for and
   * those with a join on its way (#taken). A room it lists full refuses a named join "full", and the reverse. A room
   * still being created for a join (its first `onCreate` running) is listed too, with those joins, so that a second
   * client does not make another one or wait for nothing.
   */
  list(roomType?: string): RoomListing[] {
    const listed = [...this.listings.of(roomType)].map((listing) => ({
      ...listing,
      clients: Math.min(listing.max_clients, this.#taken(listing.room_type, listing.room)),
    }));
    for (const type of roomType === undefined ? this.listings.promisedTypes() : [roomType]) {
      const max = this.maxClientsOf(type);
      for (const room of this.listings.promisedRooms(type))
        if (this.listings.beingCreated(type, room))
          listed.push({ room, room_type: type, clients: Math.min(max, this.#taken(type, room)), max_clients: max, metadata: {} });
    }
    return listed;
  }

  /**
   * `room`'s instance holds nothing stored (it started empty, was discarded, its onCreate failed): not live, a join on
   * its way creates it, and it is listed as being created until it lists itself. (A stored room loading for a named
   * join is not: it may be private.)
   */
  fresh(roomType: string, room: string): void {
    this.listings.remove(roomType, room);
    this.listings.fresh(roomType, room);
  }

  /** `player`'s join names `room` (its room created for it, if need be): its seat is promised until `release`. */
  promise(roomType: string, room: string, player: string): void {
    this.listings.promise(roomType, room, player);
  }

  /**
   * The seats of `room` no join may take: its players seated, those a match holds a seat for (held-seats.ts) and those
   * whose join is on its way, each player once (as the room counts them): a matched participant's join, or one a reload
   * cut with its seat kept, is all three at once.
   */
  #taken(roomType: string, room: string): number {
    const seated = this.listings.seated(roomType, room);
    const reserved = this.seats.reservedFor(roomType, room);
    let taken = seated.size;
    for (const player of reserved ?? []) if (!seated.has(player)) taken++;
    for (const player of this.listings.promisedTo(roomType, room)) if (!seated.has(player) && !reserved?.has(player)) taken++;
    return taken;
  }

  /**
   * The room `player`'s unnamed join of `roomType` goes to: one with a free seat, counting the seats promised to joins
   * still on their way (so players arriving together fill a room, also one still being created, before the next is
   * made), skipping rooms `skip` names; else a new one (`newName`). Its seat is promised until `release`. `listed`: the
   * room was listed (created, public, unlocked) as it was picked, so the seat is as good as a reservation Colyseus made
   * there (a `setPrivate()` after it does not send the join elsewhere); else it is being created, or new.
   */
  seatFor(roomType: string, player: string, skip: (room: string) => boolean, newName: () => string): { room: string; listed: boolean } {
    let chosen: string | undefined;
    for (const listing of this.listings.of(roomType)) {
      if (!skip(listing.room) && this.#taken(roomType, listing.room) < listing.max_clients) {
        chosen = listing.room;
        break;
      }
    }
    const listed = chosen !== undefined;
    if (chosen === undefined) {
      const max = this.maxClientsOf(roomType);
      for (const room of this.listings.promisedRooms(roomType)) {
        if (this.listings.beingCreated(roomType, room) && !skip(room) && this.#taken(roomType, room) < max) {
          chosen = room;
          break;
        }
      }
    }
    if (chosen === undefined) this.listings.fresh(roomType, (chosen = newName()));
    this.listings.promise(roomType, chosen, player);
    return { room: chosen, listed };
  }

  /** `player`'s join `seatFor` or `promise` promised a seat of `room` to is done (joined, refused or given up). */
  release(roomType: string, room: string, player: string): void {
    this.listings.release(roomType, room, player);
  }
}
