/**
 * A raw y-protocols client over `ws`: no provider, so the provider's cost never hides the server's.
 * It does the real sync handshake (step 1 → step 2 both ways) through a server's `Framing`, then sends
 * and receives updates. With a `doc` it keeps a real Y.Doc in sync; without one it only observes bytes
 * (fan-out and throughput receivers need the bytes, not the document).
 */
import { WebSocket } from "ws";
import * as Y from "yjs";
import { decodeMessage, encodeSyncStep1, encodeSyncStep2, encodeUpdate } from "../../src/protocol/index.js";
import { BenchError, withTimeout } from "../errors.js";
import { TIMEOUTS } from "../limits.js";
import type { Framing } from "./framing.js";

/** The state vector and the update of an empty document. */
const EMPTY_STATE_VECTOR = Y.encodeStateVector(new Y.Doc());
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc());

export interface ClientOptions {
  /** Keep this document in sync (applies step 2 and updates). */
  doc?: Y.Doc;
  /** Query string for the URL (e.g. "yparty_ack=1"). */
  query?: string;
  /** Every live update received after the handshake (a view into the frame: copy it to keep it). */
  onUpdate?: (update: Uint8Array) => void;
  /** yparty durable acknowledgements. */
  onDurableAck?: (count: number) => void;
  timeoutMs?: number;
}

export class BenchClient {
  /** Wire bytes received, all of them. */
  bytesReceived = 0;
  /** Wire bytes received until the handshake completed (what a fresh sync costs). */
  syncBytes = 0;
  /** performance.now() at socket creation and when synced. */
  readonly startedAt = performance.now();
  syncedAt = 0;
  /** performance.now() when the handshake's step 2 had fully arrived, before it was applied. */
  answeredAt = 0;
  /** Sync step 2 and update messages sent: what yparty's durable ack counts. */
  documentMessagesSent = 0;
  private synced = false;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly ws: WebSocket,
    private readonly framing: Framing,
    readonly room: string,
    private readonly options: ClientOptions,
  ) {
    this.closed = new Promise((resolve) => ws.once("close", () => resolve()));
  }

  /** Opens a socket and resolves once synced (for the relay: once open). */
  static async connect(framing: Framing, port: number, room: string, options: ClientOptions = {}): Promise<BenchClient> {
    const ws = new WebSocket(framing.url(port, room, options.query), { perMessageDeflate: false });
    const client = new BenchClient(ws, framing, room, options);
    const ready = new Promise<void>((resolve, reject) => {
      ws.once("error", (error) => reject(new BenchError("ERR_CONNECT", `${room}: ${error.message}`)));
      ws.once("close", (code) => reject(new BenchError("ERR_CONNECT", `${room}: closed with ${code} before sync`)));
      ws.once("open", () => {
        for (const frame of framing.hello(room)) ws.send(frame);
        if (!framing.syncs) return client.markSynced(resolve);
        const stateVector = options.doc ? Y.encodeStateVector(options.doc) : EMPTY_STATE_VECTOR;
        client.sendFrame(encodeSyncStep1(stateVector));
      });
      ws.on("message", (data: Buffer) => client.receive(data, resolve));
    });
    ws.on("error", () => {}); // after the handshake, errors surface as a close
    try {
      await withTimeout(ready, options.timeoutMs ?? TIMEOUTS.connectMs, `connect ${room}`);
    } catch (error) {
      ws.terminate();
      throw error;
    }
    return client;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  sendUpdate(update: Uint8Array): void {
    this.documentMessagesSent++;
    this.sendFrame(encodeUpdate(update));
  }

  /** Sends a whole state as sync step 2 (how a client hands the server content it lacks). */
  sendState(update: Uint8Array): void {
    this.documentMessagesSent++;
    this.sendFrame(encodeSyncStep2(update));
  }

  /** Sends an already-encoded y-protocols frame (one buffer may be shared by many sends). */
  sendFrame(frame: Uint8Array): void {
    this.ws.send(this.framing.wrap(this.room, frame));
  }

  /** Closes and resolves once the socket is closed (terminates if the server does not answer). */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000);
    await withTimeout(this.closed, TIMEOUTS.connectMs, `close ${this.room}`).catch(() => this.ws.terminate());
  }

  /** Drops the connection at once (after a flood, a graceful close would wait behind queued data). */
  terminate(): void {
    this.ws.terminate();
  }

  private markSynced(resolve: () => void): void {
    this.synced = true;
    this.syncedAt = performance.now();
    this.syncBytes = this.bytesReceived;
    resolve();
  }

  private receive(data: Buffer, resolveSynced: () => void): void {
    this.bytesReceived += data.byteLength;
    const frame = this.framing.unwrap(data);
    if (frame === null) return;
    const message = decodeMessage(frame);
    switch (message.type) {
      case "sync-step1": {
        const answer = this.options.doc ? Y.encodeStateAsUpdate(this.options.doc, message.stateVector) : EMPTY_UPDATE;
        this.sendState(answer);
        return;
      }
      case "sync-step2":
        if (!this.synced) this.answeredAt = performance.now();
        if (this.options.doc) Y.applyUpdate(this.options.doc, message.update, this);
        if (!this.synced) this.markSynced(resolveSynced);
        return;
      case "update":
        if (this.options.doc) Y.applyUpdate(this.options.doc, message.update, this);
        // The relay forwards peers' frames as they are; before "sync" there is none, so no guard needed.
        this.options.onUpdate?.(message.update);
        return;
      case "durable-ack":
        this.options.onDurableAck?.(message.count);
        return;
      default:
        return;
    }
  }
}
