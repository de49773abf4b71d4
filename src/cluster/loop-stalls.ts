/**
 * How long this node's event loop was held at once, as seen by a timer that should run every `periodMs` (the leases'
 * expiry check): each time it runs later than that, the loop was held (a long turn of the node's own work, or the
 * process starved of CPU) for about the difference. Kept for `keepMs`, so that a lease that runs out can say whether a
 * held loop, not Redis, is why no renewal was confirmed in time (leases.ts).
 */
export class LoopStalls {
  #lastAt: number | undefined;
  /** Stalls past the period, oldest first: when each ended and how long it held the loop. */
  readonly #stalls: Array<{ endedAt: number; ms: number }> = [];

  constructor(
    private readonly periodMs: number,
    private readonly keepMs: number,
  ) {}

  /** Called by the timer each time it runs. */
  tick(now = performance.now()): void {
    if (this.#lastAt !== undefined && now - this.#lastAt > this.periodMs * 2) this.#stalls.push({ endedAt: now, ms: now - this.#lastAt - this.periodMs });
    this.#lastAt = now;
    while (this.#stalls.length > 0 && this.#stalls[0]!.endedAt < now - this.keepMs) this.#stalls.shift();
  }

  /** The longest stall that ended after `since` (0 when none). */
  longestSince(since: number): number {
    let longest = 0;
    for (const stall of this.#stalls) if (stall.endedAt > since) longest = Math.max(longest, stall.ms);
    return longest;
  }
}
