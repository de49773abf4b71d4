/**
 * The chat rate limit: at most `limit` messages per player per `windowMs`, counted per player across its sessions,
 * so a reconnect (a new session) does not start the count again. Kept for the players who sent a message within
 * the last window only: the others are swept out as the map grows.
 */
const FIRST_SWEEP = 1024;

export class ChatRate {
  /** Player → when its recent messages were sent, oldest first. */
  readonly #times = new Map<string, number[]>();
  #sweepAt = FIRST_SWEEP;

  /**
   * Counts a message of `player` sent `now`; false (not counted) when the player is at `limit` messages per `windowMs`
   * (the served mount's limits: the counts outlive a reload of the code, its limits may change).
   */
  take(player: string, now: number, limit: number, windowMs: number): boolean {
    const since = now - windowMs;
    const times = (this.#times.get(player) ?? []).filter((time) => time > since);
    this.#times.set(player, times);
    if (times.length >= limit) return false;
    times.push(now);
    if (this.#times.size >= this.#sweepAt) this.#sweep(since);
    return true;
  }

  /** Forgets the players with no message in the window; the next sweep waits until the map has doubled. */
  #sweep(since: number): void {
    for (const [player, times] of this.#times) if ((times.at(-1) ?? 0) <= since) this.#times.delete(player);
    this.#sweepAt = Math.max(FIRST_SWEEP, this.#times.size * 2);
  }
}
