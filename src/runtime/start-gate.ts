/**
 * When a room may receive events: after its start succeeded (concurrent first arrivals share one
 * start; a failed start is forgotten so the next arrival retries), while no `blockConcurrencyWhile`
 * callback runs, and while no storage read is in flight (Durable Objects' input gate: the handler that
 * awaits a read goes on before any other event, so a read-modify-write is not interleaved).
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

  /** Starts the room if needed, then waits for any blocking callback or read. Rejects with the start's error. */
  async whenOpen(): Promise<void> {
    if (!this.#started) await this.#ensureStarted();
    while (this.#blockers.size > 0) {
      await Promise.allSettled([...this.#blockers]);
      // The code that awaited the last one runs first (its microtasks), and may hold the gate again.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The input gate: events wait while `operation` (a storage read) is in flight. */
  holdWhile(operation: Promise<unknown>): void {
    this.#blockers.add(operation);
    const release = () => void this.#blockers.delete(operation);
    operation.then(release, release);
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
