/**
 * The live rooms of one mount, per room type: what `room.list` answers and where `room.join_or_create` without a
 * name finds a free seat. The rooms keep it up to date (created, clients changed, unloaded). Process-local: with
 * the cluster it moves behind the registry.
 */
import { DueQueue } from "./due-queue.js";
import type { RoomListing } from "./wire/index.js";

export type { RoomListing };

export class RoomDirectory {
  readonly #byType = new Map<string, Map<string, RoomListing>>();
  /** Per room type, per room: seats promised to unnamed joins still on their way (`seatFor` … `release`). */
  readonly #promised = new Map<string, Map<string, number>>();
  /** Per room type, per room: the participants of a match not yet in its room, and until when their seats are held. */
  readonly #reserved = new Map<string, Map<string, { players: Set<string>; until: number }>>();
  /** The reservations by their time: those whose players never came go once it is up (nothing else asks for them). */
  readonly #reservedDue = new DueQueue<{ roomType: string; room: string }>();
  /** Told when a player takes the seat held for it (match-notices.ts forgets its notice of that match). */
  readonly #arrivals = new Set<(roomType: string, room: string, player: string) => void>();

  /** `maxClientsOf`: the room type's seats, for rooms promised seats before they are listed (still being created). */
  constructor(readonly maxClientsOf: (roomType: string) => number = () => Number.POSITIVE_INFINITY) {}

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
      const held = (promised.get(listing.room) ?? 0) + (this.reservedFor(roomType, listing.room)?.size ?? 0);
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

  /**
   * The room a match was made for holds a seat for each of `players` until `until` (ms since epoch): an unnamed join
   * is not seated in one of them, and the room counts them as taken. Each player's seat is theirs once they join.
   */
  reserve(roomType: string, room: string, players: readonly string[], until: number): void {
    let rooms = this.#reserved.get(roomType);
    if (!rooms) this.#reserved.set(roomType, (rooms = new Map()));
    // Those of matches whose players never came go (nothing else asks for a room nobody joins).
    const now = Date.now();
    for (const due of this.#reservedDue.takeDue(now)) {
      const reservation = this.#reserved.get(due.roomType)?.get(due.room);
      if (reservation && reservation.until <= now) this.#reserved.get(due.roomType)!.delete(due.room);
    }
    rooms.set(room, { players: new Set(players), until });
    this.#reservedDue.push(until, { roomType, room });
  }

  /** `room`'s reservation while it has seats left and its time is not up (one used up or past it is dropped). */
  #live(roomType: string, room: string): { players: Set<string>; until: number } | undefined {
    const rooms = this.#reserved.get(roomType);
    const reservation = rooms?.get(room);
    if (!reservation) return undefined;
    if (reservation.players.size > 0 && reservation.until > Date.now()) return reservation;
    rooms!.delete(room);
    return undefined;
  }

  /** The players `room`'s held seats are for (none left, or past their time: `undefined`). */
  reservedFor(roomType: string, room: string): ReadonlySet<string> | undefined {
    return this.#live(roomType, room)?.players;
  }

  /** Until when `room` holds a seat for `player` (`undefined`: none: it joined, their time is up, or it had none). */
  seatHeldUntil(roomType: string, room: string, player: string): number | undefined {
    const live = this.#live(roomType, room);
    return live?.players.has(player) ? live.until : undefined;
  }

  /** `room`'s held seats and until when (a copy), for the room to store: a restart empties this directory. */
  reservation(roomType: string, room: string): { players: string[]; until: number } | undefined {
    const live = this.#live(roomType, room);
    return live && { players: [...live.players], until: live.until };
  }

  /** `player` took its held seat in `room`. */
  arrived(roomType: string, room: string, player: string): void {
    const reservation = this.#reserved.get(roomType)?.get(room);
    if (!reservation?.players.delete(player)) return;
    if (reservation.players.size === 0) this.#reserved.get(roomType)!.delete(room);
    for (const arrival of this.#arrivals) arrival(roomType, room, player);
  }

  /** `arrival` is called each time a player takes the seat held for it (`arrived`). */
  onArrival(arrival: (roomType: string, room: string, player: string) => void): void {
    this.#arrivals.add(arrival);
  }

  /** The join `seatFor` promised a seat of `room` to is done (joined, refused or given up). */
  release(roomType: string, room: string): void {
    const promised = this.#promised.get(roomType);
    const seats = (promised?.get(room) ?? 0) - 1;
    if (seats > 0) promised!.set(room, seats);
    else promised?.delete(room);
  }
}
