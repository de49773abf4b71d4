/** Time helpers for measurement windows (the benchmark's own intervals, not waits for events). */

/** A measurement interval or settle pause. */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `done()` holds or after `maxMs`, checking every `everyMs`; true if it held. */
export function pollUntil(done: () => boolean, maxMs: number, everyMs = 10): Promise<boolean> {
  const deadline = performance.now() + maxMs;
  return new Promise((resolve) => {
    const check = (): void => {
      if (done()) return resolve(true);
      if (performance.now() >= deadline) return resolve(false);
      setTimeout(check, everyMs);
    };
    check();
  });
}
