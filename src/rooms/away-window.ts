/**
 * How long a session without a socket is kept for its client's resume: the window of the code served now, from the
 * moment the socket went away. A reload of the code (`yparty dev`) that changes the window changes it for the sessions
 * away already too, as the served limits hold at once for open sessions (served-sessions.ts): a lowered window ends
 * those whose new time is up now, a raised one keeps them longer. (The game's session timeout, `sessionTimeoutMs` since
 * the client's last frame, is timed the same way: `start` at each frame.)
 */
export class AwayWindow {
  /** When the socket went away (undefined: one is attached, or the session ended). */
  #since: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    /** The served code's window, read each time it is timed. */
    private readonly windowMs: () => number,
    /** The time is up: the session ends. */
    private readonly expired: () => void,
  ) {}

  /** The socket went away: the session is kept for the window from now. */
  start(): void {
    this.#since = Date.now();
    this.#arm();
  }

  /** A socket is attached (or the session ends): nothing is timed. */
  stop(): void {
    this.#since = undefined;
    clearTimeout(this.#timer);
  }

  /** Another code is served: the window in force is its own, counted from when the socket went away. */
  retime(): void {
    if (this.#since !== undefined) this.#arm();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    const wait = Math.max(0, this.#since! + this.windowMs() - Date.now());
    this.#timer = setTimeout(() => {
      this.#since = undefined;
      this.expired();
    }, wait);
    this.#timer.unref(); // a closing server does not wait for it: its rooms close the links
  }
}
