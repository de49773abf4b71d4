/**
 * What the Yjs room keeps per connection: the abstract socket, its chunked-frame reader, its durable-ack counters, and frames that arrived before the room loaded.
 */
import { ChunkedFrameReader, encodeDurableAck } from "../protocol/index.js";

/** The least a connection must offer: a Party.Connection, a `ws` socket wrapper, or a test double. */
export interface SessionConnection {
  readonly id: string;
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet written to the network, where the connection knows it (a socket does). */
  readonly bufferedAmount?: number;
}

export interface AttachOptions {
  /** The connection opted in to durable acks (`?yparty_ack=1`). */
  ack?: boolean;
  /** Its changes are refused (it still reads, and its awareness is relayed). */
  readOnly?: boolean;
}

export class Peer {
  #chunks: ChunkedFrameReader | undefined;
  /** Frames received while the room was still loading, replayed in order once it is ready. */
  backlog: Array<Uint8Array | string> | undefined;
  /** Sync step 2 / update messages received on this connection. */
  received = 0;
  #acked = 0;
  toldReadOnly = false;
  closed = false;
  /** A frame of it was refused: nothing it sent after that frame is applied (it may have left before, too). */
  refused = false;

  readonly wantsAcks: boolean;
  readonly readOnly: boolean;

  constructor(
    readonly conn: SessionConnection,
    options: AttachOptions,
    /** Largest frame its chunked batches may reassemble to (`maxBatchBytes`). */
    private readonly maxBatchBytes: number,
  ) {
    this.wantsAcks = options.ack === true;
    this.readOnly = options.readOnly === true;
  }

  /** Its y-partykit chunked-frame reader, made when the first batch marker arrives. */
  get chunks(): ChunkedFrameReader {
    return (this.#chunks ??= new ChunkedFrameReader(this.maxBatchBytes));
  }
  /** Whether this connection has sent a batch marker (its binary frames then go through the reader). */
  get inBatch(): boolean {
    return this.#chunks !== undefined;
  }

  /** Sends a frame; a socket that is already gone is not an error here (its close event detaches it). */
  send(data: Uint8Array | string): void {
    if (this.closed) return;
    try {
      this.conn.send(data);
    } catch {
      // The runtime reports the socket's own error and close; nothing to add here.
    }
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
    try {
      this.conn.close(code, reason);
    } catch {
      // Already closed.
    }
  }
}
