/**
 * A per-room trailing debounce with a max wait (lodash.debounce's `maxWait` semantics): `task` runs
 * `wait` ms after the last `schedule()`, and at the latest `maxWait` ms after the first unrun one.
 * Runs never overlap: a schedule during a run queues one more run after it.
 */
export interface Debouncer {
  schedule(): void;
  /** Runs a pending task now (and waits for a running one). */
  flush(): Promise<void>;
  /** Drops a pending run; a running one finishes. */
  cancel(): void;
  readonly pending: boolean;
}

export function createDebouncer(task: () => Promise<void>, wait: number, maxWait: number): Debouncer {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let firstScheduledAt = 0;
  let pending = false;
  let running: Promise<void> | null = null;

  const clear = () => {
    clearTimeout(timer);
    timer = undefined;
  };

  const run = (): Promise<void> => {
    clear();
    pending = false;
    running = task().finally(() => {
      running = null;
      // Changes that came in during the run get their own (debounced) run.
      if (pending) arm();
    });
    return running;
  };

  const arm = () => {
    clear();
    const delay = Math.max(0, Math.min(wait, maxWait - (Date.now() - firstScheduledAt)));
    timer = setTimeout(() => {
      timer = undefined;
      if (!running) void run();
    }, delay);
  };

  return {
    schedule() {
      if (!pending) firstScheduledAt = Date.now();
      pending = true;
      arm();
    },
    async flush() {
      if (running) await running;
      if (pending) await run();
    },
    cancel() {
      pending = false;
      clear();
    },
    get pending() {
      return pending;
    },
  };
}
