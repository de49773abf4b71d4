/**
 * The deadline of one connection attempt (its `params()`, then its handshake): one timer, set anew for each stage,
 * that a network change can bring forward but never push back. One beyond what timers take (`connectTimeout: Infinity`,
 * which gave up every attempt within a millisecond) sets no timer, though a network change still brings it forward.
 */
import { LONGEST_TIMER_MS } from "./backoff.js";

export class Deadline {
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When it expires; 0 when not set. */
  #at = 0;

  constructor(private readonly expired: (reason: string) => void) {}

  /** Expires in `ms`, whatever was set before. */
  set(ms: number, reason: string, now = Date.now()): void {
    this.clear();
    this.#at = now + ms;
    if (ms > LONGEST_TIMER_MS) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#at = 0;
      this.expired(reason);
    }, ms);
  }

  /** Expires in `ms` if that is sooner than set; no-op when not set. */
  bringForward(ms: number, reason: string, now = Date.now()): void {
    if (this.#at !== 0 && now + ms < this.#at) this.set(ms, reason, now);
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = 0;
  }
}
