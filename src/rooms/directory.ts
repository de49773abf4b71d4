/**
 * The live rooms of one mount, per room type: what `room.list` answers and where `room.join_or_create` without a
 * name finds a free seat. The rooms keep it up to date (created, clients changed, unloaded). The seats matches hold
 * (`seats`) are given: they may outlive the mount (held-seats.ts), its listings and `maxClientsOf` are its code's.
 * Process-local: with the cluster it moves behind the registry.
 */
import { HeldSeats } from "./held-seats.js";
import type { RoomListing } from "./wire/index.js";

export type { RoomListing };

export class RoomDirectory {
  readonly #byType = new Map<string, Map<string, RoomListing>>();
  /** Per room type, per room: seats promised to unnamed joins still on their way (`seatFor` … `release`). */
  readonly #promised = new Map<string, Map<string, number>>();

  /**
   * `maxClientsOf`: the room type's seats, for rooms promised seats before they are listed (still being created).
   * `seats`: those matches hold for their participants not in yet (no unnamed join takes one).
   */
  constructor(
    readonly maxClientsOf: (roomType: string) => number = () => Number.POSITIVE_INFINITY,
    readonly seats: HeldSeats = new HeldSeats(),
  ) {}

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

  /**
   * The room an unnamed join of `roomType` goes to: one with a free seat, counting the seats promised to joins still
   * on their way (so players arriving together fill a room, also one still being created, before the next is made),
   * skipping rooms `skip` names; else a new one (`newName`). Its seat is promised until `release`.
   */
  seatFor(roomType: string, skip: (room: string) => boolean, newName: () => string): string {
    const listed = this.#byType.get(roomType);
    const promised = this.#promised.get(roomType) ?? new Map<string, number>();
    let chosen: string | undefined;
    for (const listing of listed?.values() ?? []) {
      // Seats a match holds for its players who have not arrived are not free either.
      const held = (promised.get(listing.room) ?? 0) + (this.seats.reservedFor(roomType, listing.room)?.size ?? 0);
      if (!skip(listing.room) && listing.clients + held < listing.max_clients) {
        chosen = listing.room;
        break;
      }
    }
    if (chosen === undefined) {
      const max = this.maxClientsOf(roomType);
      for (const [room, seats] of promised) {
        if (!listed?.has(room) && !skip(room) && seats < max) {
          chosen = room;
          break;
        }
      }
    }
    chosen ??= newName();
    promised.set(chosen, (promised.get(chosen) ?? 0) + 1);
    this.#promised.set(roomType, promised);
    return chosen;
  }

  /** The join `seatFor` promised a seat of `room` to is done (joined, refused or given up). */
  release(roomType: string, room: string): void {
    const promised = this.#promised.get(roomType);
    const seats = (promised?.get(room) ?? 0) - 1;
    if (seats > 0) promised!.set(room, seats);
    else promised?.delete(room);
  }
}
