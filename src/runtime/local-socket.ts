/**
 * An in-process connection to a room: the room sees an ordinary `Party.Connection` (input gate,
 * `onConnect`/`onMessage`/`onClose`, idle unload, shutdown all apply), the other end is a callback in this process.
 * It is how a protocol mounted at a path (`createServer({ sockets })`) multiplexes many rooms over one client socket
 * without a loopback socket per room. The room's half mimics the part of a `ws` socket the runtime uses.
 */
import { EventEmitter } from "node:events";

const OPEN = 1;
const CLOSED = 3;

/** What the opener of a local connection receives from the room. */
export interface LocalPeer {
  /** A frame the room sent (`conn.send`), synchronously, in order. */
  onMessage(frame: string | Uint8Array): void;
  /** The room side closed it (the room's code: `conn.close`, 1001 at shutdown, 1011 on a fault, 1012 on reload). */
  onClose(code: number, reason: string): void;
}

/** The opener's end of a local connection. */
export interface LocalConnection {
  /** As a client's text or binary frame; dropped once closed. */
  send(frame: string | Uint8Array): void;
  /** Closes it for the room (its `onClose` runs); the peer's `onClose` is not called. */
  close(code?: number, reason?: string): void;
  readonly open: boolean;
}

/** The room's half, shaped like the part of a `ws` socket `LiveRoom` uses. */
export class RoomSideSocket extends EventEmitter {
  readonly CLOSED = CLOSED;
  readyState = OPEN;
  readonly protocol = "";
  readonly extensions = "";
  readonly bufferedAmount = 0;
  /**
   * Paused until the room listens (`LiveRoom.accept` resumes it; the room may still be unloading when the opener
   * sends its first frames), and whenever the room's inbox holds frames: frames wait here, as unread bytes wait
   * in a paused `ws` socket, and go on in order.
   */
  isPaused = true;
  readonly #waiting: Array<string | Uint8Array> = [];
  /** Fragments of a binary frame the room is sending in parts. */
  readonly #fragments: Uint8Array[] = [];
  /** The opener closed while frames waited: the room gets those frames first, then the close. */
  #pendingClose: { code: number; reason: string } | undefined;

  constructor(private readonly peer: LocalPeer) {
    super();
  }

  /**
   * `conn.send` in the room, with `ws`'s signature: a frame sent in fragments (`fin: false` until the last) reaches
   * the peer whole, and the callback runs once it was handed over, as `ws` calls it once written.
   */
  send(data: string | ArrayBuffer | ArrayBufferView, options?: { fin?: boolean } | ((error?: Error) => void), callback?: (error?: Error) => void): void {
    const done = typeof options === "function" ? options : callback;
    const fin = typeof options === "object" ? options.fin !== false : true;
    if (this.readyState === OPEN) {
      const bytes =
        typeof data === "string"
          ? undefined
          : data instanceof ArrayBuffer
            ? new Uint8Array(data)
            : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (bytes && (!fin || this.#fragments.length > 0)) {
        this.#fragments.push(bytes.slice());
        if (fin) this.peer.onMessage(concat(this.#fragments.splice(0)));
      } else {
        this.peer.onMessage(bytes ?? (data as string));
      }
    }
    if (done) queueMicrotask(() => done(this.readyState === OPEN ? undefined : new Error("The connection is closed")));
  }
  /** `conn.close` in the room, or the runtime closing it (unload, shutdown, a fault). */
  close(code = 1000, reason = ""): void {
    this.finish(code, reason, true);
  }
  terminate(): void {
    this.finish(1006, "", true);
  }
  pause(): void {
    this.isPaused = true;
  }
  resume(): void {
    this.isPaused = false;
    // Later, as a resumed `ws` socket reads: the caller finishes what it does first (accept sets up the inbox).
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    while (!this.isPaused && this.#waiting.length > 0) this.#emitFrame(this.#waiting.shift()!);
    const close = this.#pendingClose;
    if (this.isPaused || this.#waiting.length > 0 || !close) return;
    this.#pendingClose = undefined;
    this.emit("close", close.code, Buffer.from(close.reason));
  }

  /** A frame from the opener, as a client's frame reaches the room. */
  receive(frame: string | Uint8Array): void {
    if (this.readyState !== OPEN) return;
    if (this.isPaused || this.#waiting.length > 0) this.#waiting.push(frame);
    else this.#emitFrame(frame);
  }

  #emitFrame(frame: string | Uint8Array): void {
    if (typeof frame === "string") this.emit("message", frame, false);
    else this.emit("message", Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), true);
  }

  finish(code: number, reason: string, byRoom: boolean): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    // After the current call returns, as a socket's close event would: no hook runs inside another.
    queueMicrotask(() => {
      if (byRoom) {
        this.#waiting.length = 0; // as frames of a connection the server closed, dropped
        this.emit("close", code, Buffer.from(reason));
        this.peer.onClose(code, reason);
      } else if (this.isPaused || this.#waiting.length > 0) {
        this.#pendingClose = { code, reason };
      } else {
        this.emit("close", code, Buffer.from(reason));
      }
    });
  }
}

/** The opener's end of `socket`. */
export function openerEnd(socket: RoomSideSocket): LocalConnection {
  return {
    send: (frame) => socket.receive(frame),
    close: (code = 1000, reason = "") => socket.finish(code, reason, false),
    get open() {
      return socket.readyState === OPEN;
    },
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.byteLength;
  }
  return whole;
}
