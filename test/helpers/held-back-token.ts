/**
 * A client's `token` option whose first call answers at once and every later one (its reconnects) only once the test
 * calls `back()`: the test decides when a client that lost its socket comes back.
 */
import { deferred } from "./server.js";

export function heldBackToken(name: string): { token: () => Promise<string>; back(): void; attempts(): number } {
  const back = deferred();
  let attempts = 0;
  return {
    token: async () => (++attempts === 1 ? `dev:${name}` : back.promise.then(() => `dev:${name}`)),
    back: () => back.resolve(),
    attempts: () => attempts,
  };
}
