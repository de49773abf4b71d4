/**
 * When a room may receive events: after its start succeeded (concurrent first arrivals share one
 * start; a failed start is forgotten so the next arrival retries) and while no
 * `blockConcurrencyWhile` callback runs.
 */
export class StartGate {
  #started = false;
  #starting: Promise<void> | undefined;
  #blockers = new Set<Promise<unknown>>();

  constructor(private readonly start: () => Promise<void>) {}

  get started(): boolean {
    return this.#started;
  }

  /** True when an event may be delivered right now, without waiting. */
  get open(): boolean {
    return this.#started && this.#blockers.size === 0;
  }

  /** Starts the room if needed, then waits for any blocking callback. Rejects with the start's error. */
  async whenOpen(): Promise<void> {
    if (!this.#started) await this.#ensureStarted();
    while (this.#blockers.size > 0) await Promise.allSettled([...this.#blockers]);
  }

  #ensureStarted(): Promise<void> {
    this.#starting ??= this.start().then(
      () => {
        this.#started = true;
        this.#starting = undefined;
      },
      (error: unknown) => {
        this.#starting = undefined;
        throw error;
      },
    );
    return this.#starting;
  }

  /** `room.blockConcurrencyWhile`: events wait until `fn` settles; its result or error is returned. */
  async block<T>(fn: () => Promise<T>): Promise<T> {
    const running = (async () => fn())();
    this.#blockers.add(running);
    try {
      return await running;
    } finally {
      this.#blockers.delete(running);
    }
  }
}
