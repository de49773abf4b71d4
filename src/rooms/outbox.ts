/**
 * What a session sends its client, with the two channel intents: reliable frames are always sent (a client whose
 * unsent bytes beyond the largest message it is reading pass `maxReliableBufferBytes` is closed 4008, too slow),
 * unreliable ones are sent only while the socket keeps up; under backpressure they wait in a map keyed by sender and
 * type, so the newest of each replaces the older, and the map is flushed when the socket drains. Nothing unreliable
 * queues without bound.
 */
import type { WebSocket as WsSocket } from "ws";
import { unsentBeyondLargestMessage } from "../runtime/index.js";
import { RoomsCloseCode } from "./wire/index.js";
import type { RoomsLimits } from "./limits.js";

const DRAIN_CHECK_MS = 25;

export class Outbox {
  readonly #coalesced = new Map<string, string | Uint8Array>();
  #drainTimer: NodeJS.Timeout | undefined;
  /** Unreliable frames replaced by a newer one before they were sent (for tests and metrics). */
  coalescedCount = 0;

  constructor(
    private readonly ws: WsSocket,
    /** The served mount's limits, read at each send: a reload may change them under an open socket. */
    private readonly limits: () => RoomsLimits,
  ) {}

  /** Whether the socket is open (a closing one takes nothing more). */
  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Sends `frame`; false if it was not sent: the socket is closing, or is closed now (4008) for a client too slow. */
  reliable(frame: string | Uint8Array): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return false;
    // Beyond the largest message it is still reading: a large snapshot is not the client being slow.
    if (unsentBeyondLargestMessage(this.ws) > this.limits().maxReliableBufferBytes) {
      this.ws.close(RoomsCloseCode.TooSlow, "Too slow: the client does not read its messages");
      return false;
    }
    this.ws.send(frame);
    return true;
  }

  unreliable(key: string, frame: string | Uint8Array): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.#coalesced.size === 0 && this.ws.bufferedAmount <= this.limits().unreliableBufferBytes) {
      this.ws.send(frame);
      return;
    }
    if (this.#coalesced.delete(key)) this.coalescedCount++;
    this.#coalesced.set(key, frame); // re-inserted: the map stays in arrival order
    this.#drainTimer ??= setInterval(() => this.#drain(), DRAIN_CHECK_MS).unref();
  }

  #drain(): void {
    if (this.ws.readyState !== this.ws.OPEN) return this.close();
    if (this.ws.bufferedAmount > this.limits().unreliableBufferBytes) return;
    for (const frame of this.#coalesced.values()) this.ws.send(frame);
    this.close();
  }

  /** Forgets what waits (the socket closed or was replaced). */
  close(): void {
    this.#coalesced.clear();
    clearInterval(this.#drainTimer);
    this.#drainTimer = undefined;
  }
}
