/**
 * Seats kept for players who were in a room when it stopped (a graceful shutdown, a reload: 1001/1012), without
 * `onLeave`: each is kept until its time, then its player leaves. A seat kept at a stop gets its time when the room
 * is back (`resumeWindowMs` from then); that time is stored with the state and kept across the room's later stops,
 * so an idle unload does not start it over. While the room is stopped nothing is timed: the room's alarm brings it
 * back when the earliest is due (room-alarm.ts).
 */
export class KeptSeats {
  readonly #seats = new Map<string, { until?: number; timer?: NodeJS.Timeout }>();

  constructor(
    private readonly windowMs: number,
    /** A seat's time is up: its player leaves. */
    private readonly expired: (player: string) => void,
  ) {}

  get size(): number {
    return this.#seats.size;
  }

  has(player: string): boolean {
    return this.#seats.has(player);
  }

  players(): IterableIterator<string> {
    return this.#seats.keys();
  }

  /** The room is stopping with `player` in it: its seat is kept, timed once the room is back. */
  keepAtStop(player: string): void {
    this.#seats.set(player, {});
  }

  /** A seat the room was stored with (`until`: its time, if it had one), timed from now. */
  restore(player: string, until = Date.now() + this.windowMs): void {
    const timer = setTimeout(
      () => {
        this.#seats.delete(player);
        this.expired(player);
      },
      Math.max(0, until - Date.now()),
    );
    this.#seats.set(player, { until, timer });
  }

  /** The player is back: its seat is taken (it joins like any other). Whether it had one. */
  take(player: string): boolean {
    const seat = this.#seats.get(player);
    if (!seat) return false;
    clearTimeout(seat.timer);
    this.#seats.delete(player);
    return true;
  }

  /** The room stops: nothing is timed any more. When the earliest seat is due (undefined: none is kept). */
  stop(): number | undefined {
    let due: number | undefined;
    for (const seat of this.#seats.values()) {
      clearTimeout(seat.timer);
      seat.timer = undefined;
      due = Math.min(due ?? Number.POSITIVE_INFINITY, seat.until ?? Date.now() + this.windowMs);
    }
    return due;
  }

  /** When the earliest seat that has a time is due (undefined: none has). */
  nextDue(): number | undefined {
    let due: number | undefined;
    for (const seat of this.#seats.values()) if (seat.until !== undefined) due = Math.min(due ?? seat.until, seat.until);
    return due;
  }

  /** The times to store with the state (of seats that have one). */
  times(): Record<string, number> | undefined {
    let times: Record<string, number> | undefined;
    for (const [player, seat] of this.#seats) if (seat.until !== undefined) (times ??= {})[player] = seat.until;
    return times;
  }
}
