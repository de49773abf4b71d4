/**
 * Cross-tab sync over BroadcastChannel (lib0's, which falls back to localStorage events): tabs of one
 * browser on the same room exchange document and awareness frames directly, so an edit shows up in the
 * other tab even before the server echoes it, and still does when the server is unreachable.
 */
import * as bc from "lib0/broadcastchannel";
import { decodeMessage } from "../src/protocol/index.js";
import { applyMessage, type SyncTarget } from "./frames.js";

export class CrossTabChannel {
  #joined = false;
  readonly #subscriber = (data: ArrayBuffer, origin: unknown): void => {
    if (origin === this) return;
    let reply: Uint8Array | null;
    try {
      reply = applyMessage(decodeMessage(new Uint8Array(data)), this.target);
    } catch {
      return; // a malformed frame from another tab (another version?) is not worth breaking this one
    }
    if (reply) this.publish(reply);
  };

  constructor(
    readonly name: string,
    private readonly target: SyncTarget,
  ) {}

  get joined(): boolean {
    return this.#joined;
  }

  /** Subscribes and sends the opening frames (our state vector, our state, our awareness...). */
  join(openingFrames: Uint8Array[]): void {
    if (!this.#joined) {
      bc.subscribe(this.name, this.#subscriber);
      this.#joined = true;
    }
    for (const frame of openingFrames) this.publish(frame);
  }

  publish(frame: Uint8Array): void {
    if (this.#joined) bc.publish(this.name, frame, this);
  }

  leave(): void {
    if (!this.#joined) return;
    bc.unsubscribe(this.name, this.#subscriber);
    this.#joined = false;
  }
}
