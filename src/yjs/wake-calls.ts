/**
 * The room's answers to wake-up calls (src/protocol/wake-call.ts): one timer per connection that asked, at most one at
 * a time (a call while one waits is ignored), gone with the connection. Connections that never ask cost nothing.
 */
import { WAKE_FRAME } from "../protocol/index.js";
import type { Peer } from "./peer.js";

export class WakeCalls {
  readonly #waiting = new Map<Peer, ReturnType<typeof setTimeout>>();

  /** Sends `peer` the wake frame in `ms` (already within the protocol's bounds), unless a call of it waits. */
  ask(peer: Peer, ms: number): void {
    if (this.#waiting.has(peer)) return;
    const timer = setTimeout(() => {
      this.#waiting.delete(peer);
      peer.send(WAKE_FRAME);
    }, ms);
    // A call never keeps the process up: a server that stops clears them (`stop`), one that exits owes no one.
    (timer as { unref?: () => void }).unref?.();
    this.#waiting.set(peer, timer);
  }

  /** `peer` left: its call is not answered. */
  forget(peer: Peer): void {
    if (this.#waiting.size === 0) return;
    clearTimeout(this.#waiting.get(peer));
    this.#waiting.delete(peer);
  }

  /** The room stopped: no call is answered. */
  stop(): void {
    for (const timer of this.#waiting.values()) clearTimeout(timer);
    this.#waiting.clear();
  }
}
