/**
 * The frames of a room's connections on their way to the room: delivered at once when the room is
 * open, otherwise queued per connection and delivered in order once it opens (after `onStart`,
 * between `blockConcurrencyWhile` callbacks, after the connection's own `onConnect`). While a
 * connection's frames wait, its socket is paused, so TCP pushes back and the queue stays small.
 * Frames a client sent before closing its socket are still delivered (its close waits for them), unless
 * the server closed it.
 */
import type { RoomConnection } from "./connection.js";
import type { InputGate } from "./input-gate.js";

/**
 * A frame as user code gets it: text as a string, binary as an ArrayBuffer (as on PartyKit), or as the bytes read
 * (a Uint8Array view, no copy) for a server that asks for them (`options.binaryMessages`).
 */
export type Frame = string | ArrayBuffer | Uint8Array;

/**
 * A binary frame as an ArrayBuffer of exactly its bytes. `ws` hands each frame over as a Buffer: one that owns its
 * whole ArrayBuffer (a frame that filled its own read, or one assembled from fragments past Node's buffer pool) is
 * passed as is; a view into a larger chunk — small frames that shared a TCP read, which is most of them — is copied
 * out (0.5–2 µs for a frame under 3 KB; `new Uint8Array(view)` allocates faster than `ArrayBuffer.slice`). Handing
 * over the chunk itself would show user code the other frames and keep the whole chunk alive while one is held.
 */
export function binaryFrame(data: Buffer): ArrayBuffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data.buffer as ArrayBuffer;
  return new Uint8Array(data).buffer;
}

export class Inbox {
  readonly #queued = new Map<RoomConnection, Frame[]>();
  /** Connections whose socket it stopped reading (one of their frames waits): read again once their queue is gone. */
  readonly #paused = new Set<RoomConnection>();

  constructor(
    private readonly gate: InputGate,
    private readonly deliver: (connection: RoomConnection, frame: Frame) => void,
    /** Called when a connection's queue is gone (delivered or dropped): its close may proceed, the room may be idle. */
    private readonly drained: (connection: RoomConnection) => void,
  ) {}

  /** Connections with frames waiting (or held). */
  get size(): number {
    return this.#queued.size;
  }

  /** Whether `connection` has frames waiting or held. */
  has(connection: RoomConnection): boolean {
    return this.#queued.has(connection);
  }

  /** Holds every frame of `connection` until `release` (while its `onConnect` runs), after `frames` (handed over). */
  hold(connection: RoomConnection, frames: Frame[] = []): void {
    this.#queued.set(connection, frames);
  }

  /**
   * Delivers what was held, then lets frames through directly. Nothing held (most connects: the client's first frame
   * comes after the server's): nothing to wait for, and the room's next event is not kept waiting behind this one.
   */
  release(connection: RoomConnection): void {
    const queue = this.#queued.get(connection);
    if (queue === undefined) return; // nothing held (it joined without waiting), or dropped
    if (queue.length === 0) return this.#done(connection);
    void this.#drain(connection);
  }

  /** Forgets a connection's frames (the server closed it, or it never got in). */
  drop(connection: RoomConnection): void {
    this.take(connection);
  }

  /** Takes a connection's frames out, undelivered (to hand them to the room's next instance). */
  take(connection: RoomConnection): Frame[] {
    this.#resume(connection); // it reads the client's answer to its close
    const queue = this.#queued.get(connection);
    if (queue === undefined) return [];
    this.#queued.delete(connection);
    this.drained(connection);
    return queue;
  }

  receive(connection: RoomConnection, frame: Frame): void {
    if (connection.closedByServer) return; // dropped, as #drain drops its queued frames (and it must not restart the room)
    // The usual frame: nothing waits, of any connection, and the room is open.
    if (this.#queued.size === 0 && this.gate.open) return this.deliver(connection, frame);
    const queue = this.#queued.get(connection);
    if (!queue && this.gate.open) return this.deliver(connection, frame);
    if (queue) queue.push(frame);
    else {
      this.#queued.set(connection, [frame]);
      void this.#drain(connection);
    }
    if (!this.#paused.has(connection)) {
      this.#paused.add(connection);
      connection.pauseReading();
    }
  }

  async #drain(connection: RoomConnection): Promise<void> {
    for (;;) {
      const admitted = await this.gate.whenOpen().then(admit, refuse);
      const queue = this.#queued.get(connection);
      if (!admitted || !queue || queue.length === 0 || connection.closedByServer) break;
      this.deliver(connection, queue.shift()!); // its turn
      // A frame's handler may call blockConcurrencyWhile or read storage: the rest wait for it.
      while (queue.length > 0 && this.gate.open) this.deliver(connection, queue.shift()!);
    }
    this.#done(connection);
  }

  /** Its queue is gone: its socket reads again, and the room hears of it. */
  #done(connection: RoomConnection): void {
    if (!this.#queued.delete(connection)) return;
    this.#resume(connection);
    this.drained(connection);
  }

  #resume(connection: RoomConnection): void {
    if (this.#paused.delete(connection)) connection.resumeReading();
  }
}

const admit = (): boolean => true;
/** The start failed: the room is gone. */
const refuse = (): boolean => false;
