/**
 * The seats matches hold for their participants not yet in their rooms, per room type and room, until a time: an
 * unnamed join is not seated in one of them, the room counts them as taken, and a notice of the match is kept for its
 * player while its seat is held (match-notices.ts). Plain data (room type and room names, players, times), nothing of
 * the code that defined the rooms: one `MatchmakingState` keeps it for every mount a reload replaces (`yparty dev`),
 * each mount's `RoomDirectory` reading it with its code's room types. Process-local: with the cluster it moves behind
 * the registry.
 */
import { DueQueue } from "./due-queue.js";

export class HeldSeats {
  /** Per room type, per room: the participants of a match not yet in its room, and until when their seats are held. */
  readonly #reserved = new Map<string, Map<string, { players: Set<string>; until: number }>>();
  /** The reservations by their time: those whose players never came go once it is up (nothing else asks for them). */
  readonly #reservedDue = new DueQueue<{ roomType: string; room: string }>();
  /** Told when a player takes the seat held for it (match-notices.ts forgets its notice of that match). */
  readonly #arrivals = new Set<(roomType: string, room: string, player: string) => void>();

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

  /** `room`'s held seats and until when (a copy), for the room to store: a restart empties this. */
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
}
