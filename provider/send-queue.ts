/**
 * What a socket's send queue says of its upload: the bytes handed to it, how many of them still wait in the browser's
 * queue (`bufferedAmount`), and how many of those have waited over a moment. The browser hands queued bytes on only
 * as the OS buffer under the socket makes room, which it does as the server's side acknowledges what it received:
 * bytes held back before a network change that leave after it show the socket works on the new network (watchdog.ts).
 */

export interface SendQueueState {
  /** Bytes handed to the socket so far (`bufferedAmount`'s unit: binary payloads, text as UTF-8). */
  sent: number;
  /** Of those, the bytes still in the browser's queue. */
  queued: number;
  /**
   * Of the queued bytes, those sent over the settle time ago: a full OS buffer holds them back. Bytes sent just before
   * may wait only until the browser hands them to a buffer with room, whether or not anything reaches the server.
   */
  held: number;
}

const utf8 = new TextEncoder();

/** Counts what a socket was given to send, and when, for `SendQueueState`. */
export class SendLog {
  #sent = 0;
  /** `#sent` as it was the settle time ago. */
  #settled = 0;
  /** The sends of the last settle time: when, and `#sent` after each. */
  readonly #recent: Array<{ at: number; total: number }> = [];

  constructor(private readonly settleMs: number) {}

  /** One frame (or part of one) handed to the socket. */
  record(part: Uint8Array | string, now = Date.now()): void {
    this.#sent += typeof part === "string" ? utf8.encode(part).byteLength : part.byteLength;
    this.#recent.push({ at: now, total: this.#sent });
    this.#forgetSettled(now);
  }

  /** The queue now, given the socket's `bufferedAmount`. */
  state(queued: number, now = Date.now()): SendQueueState {
    this.#forgetSettled(now);
    return { sent: this.#sent, queued, held: Math.max(0, queued - (this.#sent - this.#settled)) };
  }

  #forgetSettled(now: number): void {
    while (this.#recent.length > 0 && this.#recent[0]!.at <= now - this.settleMs) this.#settled = this.#recent.shift()!.total;
  }
}
