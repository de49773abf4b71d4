/**
 * How often a room logs the same handler failure. Since h91 a throwing `onMessage` (or message listener) is only
 * logged, as on PartyKit, and the connection stays open: a client sending what the handler cannot take, at wire speed,
 * then wrote one error line with its stack per message (100 000 lines for 100 000 frames). The first failure of a
 * kind (hook and error message) is logged whole; the same one again within `windowMs` is counted instead, and the
 * count goes with the next one logged after it (`repeated`: how many were not logged since).
 */
export const REPEAT_WINDOW_MS = 10_000;

export class RepeatedFailures {
  readonly #kinds = new Map<string, { loggedAt: number; unlogged: number }>();

  constructor(private readonly windowMs = REPEAT_WINDOW_MS) {}

  /** Whether to log this failure now; when so, how many of its kind were not logged since the last one that was. */
  admit(hook: string, error: unknown, now = Date.now()): { log: boolean; repeated: number } {
    const key = `${hook}\u0000${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    const kind = this.#kinds.get(key);
    if (kind && now - kind.loggedAt < this.windowMs) {
      kind.unlogged++;
      return { log: false, repeated: 0 };
    }
    const repeated = kind?.unlogged ?? 0;
    // Kinds seen once and not again within their window are forgotten: the map holds the recent ones only.
    if (this.#kinds.size > 100) for (const [k, v] of this.#kinds) if (now - v.loggedAt >= this.windowMs) this.#kinds.delete(k);
    this.#kinds.set(key, { loggedAt: now, unlogged: 0 });
    return { log: true, repeated };
  }
}
