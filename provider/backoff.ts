/**
 * Reconnect delays: exponential with "equal jitter" (half fixed, half random), so a fleet of clients that
 * lost the same server spreads its retries, and every step still waits at least as long as the previous
 * step could have.
 */

/**
 * The longest delay timers take (2^31 - 1 ms, 24.8 days): beyond it, or for Infinity, browsers and Node fire them at
 * once. A backoff or a deadline (deadline.ts) that long is as good as never, and must not become "now". Here, as the
 * room and game clients bundle this file alone.
 */
export const LONGEST_TIMER_MS = 2 ** 31 - 1;

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Random source in [0, 1); injectable for tests. */
  random?: () => number;
}

/** The delay before retry number `attempt` (0 = the first retry after a healthy connection). */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  // Capped where timers end: a longer delay (a `maxBackoffTime` of Infinity) would fire at once, again and again.
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30), LONGEST_TIMER_MS);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Whether a closed connection earned a backoff reset: it synced and stayed open long enough. A server
 * that accepts and closes at once (or a proxy that does) must not reset it, or clients retry every 100 ms.
 */
export function wasHealthy(connection: { openedAt: number; synced: boolean } | null, closedAt: number, stableMs: number): boolean {
  return connection !== null && connection.synced && closedAt - connection.openedAt >= stableMs;
}
