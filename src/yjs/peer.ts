/**
 * What the Yjs room keeps per connection: the abstract socket, its chunked-frame reader, its durable-ack counters, and frames that arrived before the room loaded.
 */
import { ChunkedFrameReader, encodeDurableAck } from "../protocol/index.js";
import { partsOf } from "./answer-parts.js";
import { DIRECT_FRAME_MAX_BYTES, neverChanged } from "../runtime/direct-frame.js";

/** The least a connection must offer: a Party.Connection, a `ws` socket wrapper, or a test double. */
export interface SessionConnection {
  readonly id: string;
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet written to the network, where the connection knows it (a socket does). */
  readonly bufferedAmount?: number;
  /** Stops reading the client's frames until `resumeReading`, where the connection can (a room's can). */
  pauseReading?(): void;
  resumeReading?(): void;
  /** Whether `pauseReading` pushes back on the client (TCP does); absent or false: frames held are only counted. */
  readonly pushesBack?: boolean;
  /**
   * The server closed it for good (a room's connection says so: a refusal, a replacement, a fault; not a shutdown):
   * what it sent and is still held is dropped, not applied.
   */
  readonly discardsInput?: boolean;
  /** Bytes of a message the room reassembles from its frames (an unfinished y-partykit batch), for the server's budget. */
  holding?(bytes: number): void;
}

export interface AttachOptions {
  /** The connection opted in to durable acks (`?yparty_ack=1`). */
  readonly ack?: boolean;
  /** Its changes are refused (it still reads, and its awareness is relayed). */
  readonly readOnly?: boolean;
}

/** The four ways to attach, made once: a connect allocates no options object. */
const ATTACH_OPTIONS: readonly AttachOptions[] = [0, 1, 2, 3].map((bits) => Object.freeze({ ack: (bits & 1) !== 0, readOnly: (bits & 2) !== 0 }));

/** The shared options object for `ack` and `readOnly`. */
export function attachOptions(ack: boolean, readOnly = false): AttachOptions {
  return ATTACH_OPTIONS[(ack ? 1 : 0) | (readOnly ? 2 : 0)] as AttachOptions;
}

// A peer's yes/no facts share one number: every connection keeps a Peer, and five boolean fields cost 40 bytes.
const WANTS_ACKS = 1;
const READ_ONLY = 2;
const TOLD_READ_ONLY = 4;
const CLOSED = 8;
const REFUSED = 16;
const ANSWERED_AHEAD = 32;
const READING_PAUSED = 64;

export class Peer {
  #chunks: ChunkedFrameReader | undefined;
  /** Frames held while the room loads or applies an update in slices (`hold`), replayed in order after (`takeBacklog`). */
  #backlog: Array<Uint8Array | string> | undefined;
  /** When each frame of the backlog arrived, in the room's count of held frames (0: put back, before all of them). */
  #heldAt: number[] | undefined;
  /** Sync step 2 / update messages received on this connection. */
  received = 0;
  #acked = 0;
  #flags: number;

  constructor(
    readonly conn: SessionConnection,
    options: AttachOptions,
  ) {
    this.#flags = (options.ack === true ? WANTS_ACKS : 0) | (options.readOnly === true ? READ_ONLY : 0);
  }

  /** What it holds (see `hold`); the room may take frames from its front. */
  get backlog(): Array<Uint8Array | string> | undefined {
    return this.#backlog;
  }

  get wantsAcks(): boolean {
    return (this.#flags & WANTS_ACKS) !== 0;
  }
  get readOnly(): boolean {
    return (this.#flags & READ_ONLY) !== 0;
  }
  /** It was told (once) that its changes are refused. */
  get toldReadOnly(): boolean {
    return (this.#flags & TOLD_READ_ONLY) !== 0;
  }
  set toldReadOnly(_value: true) {
    this.#flags |= TOLD_READ_ONLY;
  }
  get closed(): boolean {
    return (this.#flags & CLOSED) !== 0;
  }
  /** Closed by the room, or for good by the server: nothing it sent and the room still holds is applied. */
  get gone(): boolean {
    return (this.#flags & CLOSED) !== 0 || this.conn.discardsInput === true;
  }
  set closed(_value: true) {
    this.#flags |= CLOSED;
  }
  /** A frame of it was refused: nothing it sent after that frame is applied (it may have left before, too). */
  get refused(): boolean {
    return (this.#flags & REFUSED) !== 0;
  }
  set refused(_value: true) {
    this.#flags |= REFUSED;
  }

  /** It was sent the whole document with its greeting: its first sync step 1 needs no answer. */
  set answeredAhead(_value: true) {
    this.#flags |= ANSWERED_AHEAD;
  }
  /** Whether its next sync step 1 was answered ahead (the greeting's whole document); true only once. */
  takeAnsweredAhead(): boolean {
    const ahead = (this.#flags & ANSWERED_AHEAD) !== 0;
    this.#flags &= ~ANSWERED_AHEAD;
    return ahead;
  }

  /**
   * Keeps a frame for later (`arrival`: the room's count of frames held, to take them up in the order they came), and
   * stops reading a connection that pushes back meanwhile: its client's next frames wait in TCP, not in the server's
   * memory. False (not kept) past `maxFrames`: frames read before the pause took effect (the rest of a socket read),
   * or an in-process connection's.
   */
  hold(frame: Uint8Array | string, maxFrames: number, arrival = 0): boolean {
    const backlog = (this.#backlog ??= []);
    if (backlog.length >= maxFrames) return false;
    backlog.push(frame);
    (this.#heldAt ??= []).push(arrival);
    this.#pauseReading();
    return true;
  }

  /** Keeps frames it sent (the rest of a burst) for later, before what it holds already; see `hold`. */
  putBack(frames: ReadonlyArray<Uint8Array | string>): void {
    this.#backlog = [...frames, ...(this.#backlog ?? [])];
    this.#heldAt = [...frames.map(() => 0), ...(this.#heldAt ?? [])];
    this.#pauseReading();
  }

  /** What it held, in order (none: undefined); the connection reads again. */
  takeBacklog(): Array<Uint8Array | string> | undefined {
    const frames = this.#backlog;
    this.#backlog = undefined;
    this.#heldAt = undefined;
    this.#resumeReading();
    return frames;
  }

  /** Forgets the first frame it holds (the room answered it ahead). */
  dropFirst(): void {
    this.#backlog?.shift();
    this.#heldAt?.shift();
  }

  /** `takeBacklog`, each frame with when it arrived (`hold`'s `arrival`). */
  takeHeld(): Array<{ frame: Uint8Array | string; arrival: number; peer: Peer }> {
    const arrivals = this.#heldAt ?? [];
    return (this.takeBacklog() ?? []).map((frame, i) => ({ frame, arrival: arrivals[i] ?? 0, peer: this }));
  }

  #pauseReading(): void {
    if ((this.#flags & READING_PAUSED) !== 0 || this.conn.pushesBack !== true) return;
    this.#flags |= READING_PAUSED;
    this.conn.pauseReading?.();
  }

  #resumeReading(): void {
    if ((this.#flags & READING_PAUSED) === 0) return;
    this.#flags &= ~READING_PAUSED;
    this.conn.resumeReading?.();
  }

  /** Its y-partykit chunked-frame reader, made when the first batch marker arrives (batches reassemble to at most `maxBatchBytes`). */
  chunks(maxBatchBytes: number): ChunkedFrameReader {
    return (this.#chunks ??= new ChunkedFrameReader(maxBatchBytes));
  }
  /** Tells the connection how much of an unfinished batch the room holds for it (after each frame of a batch). */
  batchHeld(): void {
    if (this.#chunks) this.conn.holding?.(this.#chunks.heldBytes);
  }
  /** It left: an unfinished batch of it is never applied (only whole messages it sent are), so it is let go. */
  dropBatch(): void {
    if (this.#chunks === undefined) return;
    this.#chunks = undefined;
    this.conn.holding?.(0);
  }
  /** Whether this connection has sent a batch marker (its binary frames then go through the reader). */
  get inBatch(): boolean {
    return this.#chunks !== undefined;
  }

  /** Sends a frame, or the parts of an answer in parts (answer-parts.ts) one after another. */
  send(data: Uint8Array | string): void {
    if (this.closed) return;
    const parts = typeof data === "string" ? undefined : partsOf(data);
    if (parts === undefined) sendNow(this.conn, data);
    else sendInTurn(this, parts);
  }

  /** Acknowledges the first `count` document messages, once, in increasing order. */
  ack(count: number): void {
    if (!this.wantsAcks || count <= this.#acked) return;
    this.#acked = count;
    this.send(encodeDurableAck(count));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.#resumeReading(); // it reads the client's answer to the close
    try {
      this.conn.close(code, reason);
    } catch {
      // Already closed.
    }
  }
}

/** A socket that is already gone is not an error here (its close event detaches it). */
function sendNow(conn: SessionConnection, data: Uint8Array | string): void {
  // Frames are encoded for their send and never changed: the runtime need not copy a large one it holds (N clients
  // joining an unchanged document share one step 2).
  if (typeof data !== "string" && data.byteLength > DIRECT_FRAME_MAX_BYTES) neverChanged(data);
  try {
    conn.send(data);
  } catch {
    // The runtime reports the socket's own error and close; nothing to add here.
  }
}

/**
 * The next part of an answer goes once the connection has written all but this much: each part is then the largest
 * message in flight, which the runtime's send-buffer cap does not count, and the parts behind it wait here rather than
 * in the socket (all of them there at once would pass the cap). Frames sent meanwhile are not held back: Yjs keeps
 * an update that builds on a later part as pending until that part arrives.
 */
const SEND_NEXT_PART_BELOW_BYTES = 1024 * 1024;

/** Parts still to send, per peer (in a WeakMap: a field on every Peer would cost every connection its bytes). */
const partsToSend = new WeakMap<Peer, Uint8Array[]>();

function sendInTurn(peer: Peer, parts: readonly Uint8Array[]): void {
  const queued = partsToSend.get(peer);
  if (queued !== undefined) return void queued.push(...parts);
  partsToSend.set(peer, [...parts]);
  sendNextPart(peer);
}

function sendNextPart(peer: Peer): void {
  const parts = partsToSend.get(peer)!;
  if (peer.closed) return void partsToSend.delete(peer);
  if ((peer.conn.bufferedAmount ?? 0) <= SEND_NEXT_PART_BELOW_BYTES) {
    sendNow(peer.conn, parts.shift()!);
    if (parts.length === 0) return void partsToSend.delete(peer);
  }
  setTimeout(sendNextPart, 1, peer);
}
