/** A timer for any time ahead, shared by alarms and crons. */

// setTimeout cannot wait longer than 2^31-1 ms; a later time is reached in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TimerAt {
  cancel(): void;
}

/** Runs `fn` at `at` (ms since the epoch; at once when past). The timer never keeps the process alive. */
export function runAt(at: number, fn: () => void): TimerAt {
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    const delay = Math.max(0, at - Date.now());
    timer = setTimeout(() => (delay > MAX_TIMER_MS ? arm() : fn()), Math.min(delay, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}
