/**
 * A room's input gate, Durable Objects' rule of when a room may receive its next event: once it has started, and
 * never while a `blockConcurrencyWhile` callback or a storage read is in flight (details on `InputGate`).
 */
import { AsyncLocalStorage } from "node:async_hooks";

/**
 * When a room may receive events: after its start succeeded (concurrent first arrivals share one
 * start; a failed start is forgotten so the next arrival retries), while no `blockConcurrencyWhile`
 * callback runs, and while no storage read is in flight (Durable Objects' input gate: the handler that
 * awaits a read goes on before any other event, so a read-modify-write is not interleaved).
 *
 * Events that find it closed wait their turn, first come first served: each is let in alone, and the next
 * only once the one before has run up to its first await (and perhaps closed the gate again).
 */
export class InputGate {
  #started = false;
  #starting: Promise<void> | undefined;
  readonly #blockers = new Set<Promise<unknown>>();
  readonly #waiting: Array<() => void> = [];
  #admitting = false;
  #blockChain: Promise<void> = Promise.resolve();
  /** An event went in by the fast path this turn: it may not have reached its first read yet. */
  #claimed = false;

  constructor(private readonly start: () => Promise<void>) {}

  get started(): boolean {
    return this.#started;
  }

  /** True when an event may be delivered right now, without waiting (and without jumping the queue). */
  get open(): boolean {
    return this.#started && this.#blockers.size === 0 && this.#waiting.length === 0 && !this.#claimed;
  }

  /**
   * Starts the room if needed, then waits for the event's turn. Rejects with the start's error. An open gate is the
   * common case (every connect and every frame of a started room asks): it answers with a shared settled promise.
   */
  whenOpen(): Promise<void> {
    if (!this.open) return this.#whenOpenLater();
    this.#claim();
    return OPEN_NOW;
  }

  async #whenOpenLater(): Promise<void> {
    if (!this.#started) await this.#ensureStarted();
    if (this.open) return this.#claim();
    const turn = new Promise<void>((resolve) => this.#waiting.push(resolve));
    void this.#admit();
    await turn;
  }

  /** Claims the rest of this turn: the event let in has awaits to go before its first read. */
  #claim(): void {
    this.#claimed = true;
    setImmediate(this.#unclaim);
  }
  readonly #unclaim = (): void => {
    this.#claimed = false;
  };

  /** Lets waiting events in one at a time, each once nothing holds the gate. */
  async #admit(): Promise<void> {
    if (this.#admitting) return;
    this.#admitting = true;
    try {
      while (this.#waiting.length > 0) {
        while (this.#blockers.size > 0 || this.#claimed) {
          if (this.#blockers.size > 0) await Promise.allSettled([...this.#blockers]);
          // The code that awaited the last one runs first (its microtasks), and may hold the gate again; a claim
          // made by the fast path ends with the turn.
          await nextTurn();
        }
        this.#waiting.shift()!();
        await nextTurn(); // the event runs up to its first await before the next is let in
      }
    } finally {
      this.#admitting = false;
    }
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

  /**
   * `room.blockConcurrencyWhile`: events wait until `fn` settles; its result or error is returned. Callbacks run one
   * at a time (one called by code that resumed after some other await waits for the running one); one called from
   * inside another runs at once.
   */
  block<T>(fn: () => Promise<T>): Promise<T> {
    const outer = insideBlock.getStore();
    const nested = outer?.gate === this && outer.active;
    const inside = { gate: this, active: true };
    const running = nested ? Promise.resolve().then(fn) : this.#blockChain.then(() => insideBlock.run(inside, fn)).finally(() => (inside.active = false));
    if (!nested) this.#blockChain = running.then(ignore, ignore);
    this.holdWhile(running);
    return running;
  }

  /** Events wait while `operation` (a blocking callback, a storage read) is in flight. */
  holdWhile(operation: Promise<unknown>): void {
    this.#blockers.add(operation);
    const release = () => void this.#blockers.delete(operation);
    operation.then(release, release);
  }
}

/** What `whenOpen` answers when the gate is open: nothing to wait for, nothing to allocate. */
const OPEN_NOW: Promise<void> = Promise.resolve();
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const ignore = (): void => {};
/**
 * Which gate's blockConcurrencyWhile callback the running code is inside, to run a nested call at once; `active` ends
 * with the callback (timers it started outlive it, and must wait their turn then).
 */
const insideBlock = new AsyncLocalStorage<{ gate: InputGate; active: boolean }>();
