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

/**
 * How long a close waits for the message before the socket is cut: `ws`'s own close timer (30 s), which the close
 * would have started had it not waited. A client that stopped reading but still sends is alive for the heartbeat.
 */
export const CLOSE_WAIT_MS = 30_000;

const OPEN = 1;

/** A text message's UTF-8 bytes, sent as text. */
export class Text {
  constructor(readonly bytes: Uint8Array) {}
}

/** What waits to be sent: bytes (binary), a text's bytes, or a string as it was given (a socket in this process). */
export type PacedPayload = Uint8Array | Text | string;

/** `ws.send`'s options, as a raw socket's caller may give them with a message that is not paced. */
export interface SendOptions {
  binary?: boolean;
  compress?: boolean;
  fin?: boolean;
  mask?: boolean;
}
/** `ws.send`'s callback: once the message was written, or with the error that kept it from the socket. */
export type SendCallback = (error?: Error) => void;

/** A socket's `send`, as `ws` has it. */
export type SocketSend = (data: unknown, options?: SendOptions, done?: SendCallback) => void;

/** `data`'s bytes, without a copy. */
export const bytesOf = (data: ArrayBuffer | ArrayBufferView): Uint8Array =>
  ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

/** Something sent while a paced message was being written, waiting for it. */
interface Waiting {
  readonly data: unknown;
  readonly bytes: number;
  /** Handed to `ws` as it came, with its options (`sendAsIs`), or paced if large (`send`). */
  readonly asIs: boolean;
  readonly options: SendOptions | undefined;
  readonly done: SendCallback | undefined;
}

interface Message {
  readonly bytes: Uint8Array;
  readonly binary: boolean;
  readonly done: SendCallback | undefined;
  written: number;
}

export class PacedSender {
  #message: Message | undefined;
  readonly #waiting: Waiting[] = [];
  #waitingBytes = 0;
  /** The close that runs once nothing is left to write (`closeBehind`). */
  #afterWritten: (() => void) | undefined;
  /** Cuts the socket if that takes longer than `CLOSE_WAIT_MS`. */
  #cutTimer: NodeJS.Timeout | undefined;

  /**
   * `write` is the socket's own `send` (a raw socket's `ws.send` is replaced by one that sends through here), `isOpen`
   * its own state (a raw socket's `readyState` says `CLOSING` while a close waits here).
   */
  constructor(
    private readonly ws: WsSocket,
    private readonly write: SocketSend = ws.send.bind(ws) as SocketSend,
    private readonly isOpen: () => boolean = () => ws.readyState === OPEN,
  ) {}

  /** Whether a paced message is still being written (anything sent now must wait behind it). */
  get busy(): boolean {
    return this.#message !== undefined;
  }

  /** Bytes held here, not handed to the socket yet. */
  get heldBytes(): number {
    const message = this.#message;
    return this.#waitingBytes + (message ? message.bytes.byteLength - message.written : 0);
  }

  /** Sends `data` (`bytes` long) now or behind the paced message; paced itself if it is bytes over `FRAGMENT_BYTES`. */
  send(data: PacedPayload, bytes: number, done?: SendCallback): void {
    this.#sendOrWait({ data, bytes, asIs: false, options: undefined, done });
  }

  /** Hands `data` to `ws.send` with its options, never paced: now, or behind the paced message (a raw socket's frames). */
  sendAsIs(data: unknown, bytes: number, options: SendOptions | undefined, done: SendCallback | undefined): void {
    this.#sendOrWait({ data, bytes, asIs: true, options, done });
  }

  /** Whether a close waits behind the message (`closeBehind`): the socket is closing and takes no more sends. */
  get closing(): boolean {
    return this.#afterWritten !== undefined;
  }

  /**
   * Runs `close` once everything sent so far was handed to the socket, at once if nothing is paced, or once the socket
   * is gone: a close right after a large message goes behind the message, as a browser's does. A second close
   * meanwhile changes nothing, as a DOM socket's while it closes. Not written within `CLOSE_WAIT_MS`, the message is
   * abandoned and the socket terminated: its client has not read it in the time `ws` gives a close.
   */
  closeBehind(close: () => void): void {
    if (this.closing) return;
    if (!this.#message) return close();
    this.#afterWritten = close;
    this.#cutTimer = setTimeout(() => {
      this.abandon();
      this.ws.terminate();
    }, CLOSE_WAIT_MS);
    this.#cutTimer.unref();
  }

  /**
   * Forgets the message being written and what waits, and the close waiting for them, without running it: for the
   * close that follows at once (the senders are told after it).
   */
  abandon(): void {
    this.#afterWritten = undefined;
    this.#drop(new Error("WebSocket is not open"));
  }

  #sendOrWait(item: Waiting): void {
    if (this.#message) {
      this.#waiting.push(item);
      this.#waitingBytes += item.bytes;
    } else {
      this.#handOn(item);
    }
  }

  #handOn({ data, asIs, options, done }: Waiting): void {
    if (asIs || typeof data === "string") return this.write(data, options ?? {}, done);
    const text = data instanceof Text;
    const bytes = text ? data.bytes : (data as Uint8Array);
    if (bytes.byteLength <= FRAGMENT_BYTES) return this.write(bytes, { binary: !text }, done);
    this.#message = { bytes, binary: !text, done, written: 0 };
    this.#nextFragment(this.#message);
  }

  /**
   * Writes `message`'s next fragment; also each fragment's write callback (`error` when the socket is gone: what waits
   * is dropped). A callback of a message given up meanwhile (`abandon`) does nothing.
   */
  #nextFragment(message: Message, error?: Error | null): void {
    if (message !== this.#message) return;
    const length = message.bytes.byteLength;
    // Written whole: sent, though its client's close may have come meanwhile (what waits then fails in `ws`, as sent
    // after a close).
    if (!error && message.written === length) {
      this.#message = undefined;
      this.#sendWaiting();
      // After what waited was handed on: what the callback sends goes behind it.
      return message.done?.();
    }
    if (error || !this.isOpen()) return this.#drop(error ?? new Error("WebSocket is not open"));
    const end = Math.min(message.written + FRAGMENT_BYTES, length);
    const fragment = message.bytes.subarray(message.written, end);
    message.written = end;
    this.write(fragment, { binary: message.binary, fin: end === length }, (error?: Error | null) => this.#nextFragment(message, error));
  }

  #sendWaiting(): void {
    while (!this.#message && this.#waiting.length > 0) {
      const waiting = this.#waiting.shift()!;
      this.#waitingBytes -= waiting.bytes;
      this.#handOn(waiting);
    }
    if (!this.#message) this.#runAfterWritten();
  }

  #runAfterWritten(): void {
    clearTimeout(this.#cutTimer);
    this.#cutTimer = undefined;
    const action = this.#afterWritten;
    this.#afterWritten = undefined;
    action?.();
  }

  /**
   * The socket is gone: what was not written never will be, and the senders that asked are told so, as `ws` tells
   * them: after this turn, once the close that gave the message up (`abandon`) has made the socket closing. A send from
   * a callback told while it was still open would go behind the message cut short, as its continuation (`ws` frames it
   * so), and its client would get the message's first fragments and that send as one message.
   */
  #drop(error: Error): void {
    const dropped = [this.#message?.done, ...this.#waiting.map((waiting) => waiting.done)].filter((done) => done !== undefined);
    this.#message = undefined;
    this.#waiting.length = 0;
    this.#waitingBytes = 0;
    if (dropped.length > 0) process.nextTick(() => dropped.forEach((done) => done(error)));
    this.#runAfterWritten();
  }
}
