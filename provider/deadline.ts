/**
 * The deadline of one connection attempt (its `params()`, then its handshake): one timer, set anew for each stage,
 * that a network change can bring forward but never push back.
 */
export class Deadline {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #at = 0;

  constructor(private readonly expired: (reason: string) => void) {}

  /** Expires in `ms`, whatever was set before. */
  set(ms: number, reason: string, now = Date.now()): void {
    this.clear();
    this.#at = now + ms;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.expired(reason);
    }, ms);
  }

  /** Expires in `ms` if that is sooner than set; no-op when not set. */
  bringForward(ms: number, reason: string, now = Date.now()): void {
    if (this.#timer !== undefined && now + ms < this.#at) this.set(ms, reason, now);
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
