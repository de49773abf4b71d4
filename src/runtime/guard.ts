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

/** Whether user code returned a promise (or any thenable) whose failure must be caught. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" && typeof (value as PromiseLike<unknown>).then === "function";
}

/**
 * The hot-path variant of `callUser` (every frame): no promise is made when `fn` returns a plain value;
 * a throw or a rejection goes to `onError`.
 */
export function callUserQuietly(fn: () => unknown, onError: (error: unknown) => void): Promise<void> | undefined {
  try {
    const result = fn();
    if (isThenable(result)) {
      // Returned so callers that must wait for the user's async work (close listeners before unload) can.
      return Promise.resolve(result).then(() => undefined, onError);
    }
  } catch (error) {
    onError(error);
  }
  return undefined;
}

/** Resolves when `promise` settles or after `ms`, whichever is first (never rejects). */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const settled = () => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(settled, settled);
  });
}
