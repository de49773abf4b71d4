/**
 * Writes a connection's large binary messages in fragments, one at a time: the next once the socket has written
 * the last (the client still receives one message). A ping then reaches a client that is reading a large
 * document's first sync after one fragment, not after the whole document, and the bytes not handed to the socket
 * yet stay counted as unsent. Frames sent meanwhile wait here, in order, behind the message.
 */
import type { WebSocket as WsSocket } from "ws";

/** Binary messages larger than this are paced, in fragments of this size. */
export const FRAGMENT_BYTES = 256 * 1024;

const OPEN = 1;

export class PacedSender {
  #message: { bytes: Uint8Array; written: number } | undefined;
  readonly #waiting: Array<{ data: string | Uint8Array; bytes: number }> = [];
  #waitingBytes = 0;

  constructor(private readonly ws: WsSocket) {}

  /** Whether a paced message is still being written (anything sent now must wait behind it). */
  get busy(): boolean {
    return this.#message !== undefined;
  }

  /** Bytes held here, not handed to the socket yet. */
  get heldBytes(): number {
    const message = this.#message;
    return this.#waitingBytes + (message ? message.bytes.byteLength - message.written : 0);
  }

  send(data: string | Uint8Array, bytes: number): void {
    if (this.#message) {
      this.#waiting.push({ data, bytes });
      this.#waitingBytes += bytes;
    } else {
      this.#write(data);
    }
  }

  #write(data: string | Uint8Array): void {
    if (typeof data === "string" || data.byteLength <= FRAGMENT_BYTES) return this.ws.send(data);
    this.#message = { bytes: data, written: 0 };
    this.#nextFragment();
  }

  /** Also the write callback of every fragment: `error` when the socket is gone (what waits is dropped). */
  readonly #nextFragment = (error?: Error | null): void => {
    const message = this.#message!;
    if (error || this.ws.readyState !== OPEN) return this.#drop();
    const length = message.bytes.byteLength;
    if (message.written === length) {
      this.#message = undefined;
      return this.#sendWaiting();
    }
    const end = Math.min(message.written + FRAGMENT_BYTES, length);
    const fragment = message.bytes.subarray(message.written, end);
    message.written = end;
    this.ws.send(fragment, { binary: true, fin: end === length }, this.#nextFragment);
  };

  #sendWaiting(): void {
    while (!this.#message && this.#waiting.length > 0) {
      const { data, bytes } = this.#waiting.shift()!;
      this.#waitingBytes -= bytes;
      this.#write(data);
    }
  }

  #drop(): void {
    this.#message = undefined;
    this.#waiting.length = 0;
    this.#waitingBytes = 0;
  }
}
