/**
 * Writes a connection's large messages in fragments, one at a time: the next once the socket has written the last
 * (the client still receives one message). A ping then reaches a client that is reading a large document's first
 * sync, or a large JSON text, after one fragment, not after the whole message, and the bytes not handed to the socket
 * yet stay counted as unsent. Frames sent meanwhile wait here, in order, behind the message.
 *
 * A text message is paced as its UTF-8 bytes (`Text`): fragments may split a character, which RFC 6455 allows (the
 * message as a whole is what must be valid UTF-8).
 */
import type { WebSocket as WsSocket } from "ws";

/** Messages larger than this are paced, in fragments of this size. */
export const FRAGMENT_BYTES = 256 * 1024;

const OPEN = 1;

/** A text message's UTF-8 bytes, sent as text. */
export class Text {
  constructor(readonly bytes: Buffer) {}
}

/** What waits to be sent: bytes (binary), a text's bytes, or a string as it was given (a socket in this process). */
export type PacedPayload = Uint8Array | Text | string;

const AS_TEXT = { binary: false } as const;

export class PacedSender {
  #message: { bytes: Uint8Array; binary: boolean; written: number } | undefined;
  readonly #waiting: Array<{ data: PacedPayload; bytes: number }> = [];
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

  send(data: PacedPayload, bytes: number): void {
    if (this.#message) {
      this.#waiting.push({ data, bytes });
      this.#waitingBytes += bytes;
    } else {
      this.#write(data);
    }
  }

  #write(data: PacedPayload): void {
    if (typeof data === "string") return this.ws.send(data);
    const text = data instanceof Text;
    const bytes = text ? data.bytes : data;
    if (bytes.byteLength <= FRAGMENT_BYTES) return text ? this.ws.send(bytes, AS_TEXT) : this.ws.send(bytes);
    this.#message = { bytes, binary: !text, written: 0 };
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
    this.ws.send(fragment, { binary: message.binary, fin: end === length }, this.#nextFragment);
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
