/**
 * The runtime's one wrapper for calling user code: a sync throw and an async rejection both come back
 * as a rejected promise, so every caller handles faults in one place.
 */
export function callUser<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Resolves when `promise` settles or after `ms`, whichever is first (never rejects). */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    promise.then(
      () => (clearTimeout(timer), resolve()),
      () => (clearTimeout(timer), resolve()),
    );
  });
}
