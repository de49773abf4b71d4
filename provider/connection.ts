/**
 * One WebSocket of a provider, from creation to its end: binary frames are reassembled (y-pk-batch) and
 * decoded with the shared codec, text frames are custom messages, outgoing frames are chunked. However the
 * socket ends (server close, network, our own close), its handlers are detached at once and `closed` is
 * reported exactly once, so a new socket never overlaps an old one's late events.
 */
import {
  ChunkedFrameReader,
  decodeCustomMessage,
  decodeMessage,
  encodeCustomMessage,
  isBatchMarker,
  splitIntoChunks,
  type Message,
} from "../src/protocol/index.js";
import { LOCAL_CLOSE_CODE, ProviderDefaults } from "./defaults.js";
import { ProviderError } from "./errors.js";
import { SendLog, type SendQueueState } from "./send-queue.js";
import type { CloseInfo } from "./types.js";

export interface ConnectionHandlers {
  opened(connection: SocketConnection): void;
  message(connection: SocketConnection, message: Message): void;
  custom(connection: SocketConnection, message: string): void;
  /** A socket error event, or a frame that could not be read (skipped). */
  error(connection: SocketConnection, error: Event | ProviderError): void;
  closed(connection: SocketConnection, event: CloseInfo, local: boolean): void;
}

export class SocketConnection {
  readonly ws: WebSocket;
  /** When the socket opened (0 before). */
  openedAt = 0;
  lastReceivedAt = 0;
  /** Frames (or parts of chunked ones) received: what answers a probe (watchdog.ts). */
  framesReceived = 0;
  /**
   * When everything sent so far is through even on the slowest uplink we allow for: the server answers a frame only
   * after reading all that came before it, so an upload in progress is silence that says nothing of the link.
   */
  slowestUploadDoneAt = 0;
  /** The server's state arrived on this connection. */
  synced = false;
  /** The server refused our writes (read-only): its acks then count messages it did not store. */
  writesRefused = false;
  /** We asked for a wake frame on this connection and it has not come yet (presence-renewal.ts). */
  wakeCallPending = false;
  /**
   * The server sent a frame only yparty sends (a durable ack): it answers wake-up calls. Others are never sent one:
   * y-partykit's own server logs an error for the text, y-partyserver a warning.
   */
  answersWakeCalls = false;
  readonly #sendLog = new SendLog(ProviderDefaults.sendQueueSettleMs);
  readonly #frames = new ChunkedFrameReader(ProviderDefaults.maxIncomingFrameBytes, "ProviderDefaults.maxIncomingFrameBytes");
  #ended = false;

  /** Throws what the WebSocket constructor throws (a malformed URL, for instance). */
  constructor(
    WS: typeof WebSocket,
    url: string,
    private readonly handlers: ConnectionHandlers,
  ) {
    const ws = new WS(url);
    this.ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      this.openedAt = this.lastReceivedAt = Date.now();
      handlers.opened(this);
    };
    ws.onmessage = (event) => this.#received(event.data);
    ws.onerror = (event) => handlers.error(this, event);
    ws.onclose = (event) => this.#end(event, false);
  }

  get isOpen(): boolean {
    return !this.#ended && this.openedAt > 0 && this.ws.readyState === this.ws.OPEN;
  }

  /** What is still on its way out of the browser (send-queue.ts). */
  get sendQueue(): SendQueueState {
    return this.#sendLog.state(Number(this.ws.bufferedAmount) || 0); // a polyfill may not have it: nothing seen queued
  }

  /** Sends a binary frame, chunked when over 1 MB. False when the socket is not open. */
  send(frame: Uint8Array): boolean {
    if (!this.isOpen) return false;
    for (const part of splitIntoChunks(frame)) {
      this.ws.send(part);
      this.#sendLog.record(part);
    }
    this.#sent(frame.byteLength);
    return true;
  }

  sendCustom(message: string): boolean {
    return this.sendText(encodeCustomMessage(message));
  }

  /** Sends a text frame as is. False when the socket is not open. */
  sendText(text: string): boolean {
    if (!this.isOpen) return false;
    this.ws.send(text);
    this.#sendLog.record(text);
    this.#sent(text.length);
    return true;
  }

  #sent(bytes: number): void {
    this.slowestUploadDoneAt = Math.max(this.slowestUploadDoneAt, Date.now()) + (bytes * 1000) / ProviderDefaults.slowestUplinkBytesPerSecond;
  }

  /** Ends the socket from our side. */
  close(reason: string, wasClean = true): void {
    this.#end({ code: LOCAL_CLOSE_CODE, reason, wasClean }, true);
  }

  #end(event: CloseInfo, local: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    const ws = this.ws;
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = () => {}; // closing a CONNECTING socket reports an error; Node's `ws` throws it unhandled
    if (local) ws.close(LOCAL_CLOSE_CODE);
    this.handlers.closed(this, event, local);
  }

  #received(data: unknown): void {
    this.lastReceivedAt = Date.now();
    this.framesReceived++;
    try {
      const frame = typeof data === "string" ? this.#text(data) : this.#frames.binary(toBytes(data));
      if (frame) this.handlers.message(this, decodeMessage(frame));
    } catch (cause) {
      this.handlers.error(this, new ProviderError("ERR_BAD_FRAME", `skipped a frame: ${(cause as Error).message}`, cause));
    }
  }

  #text(text: string): Uint8Array | null {
    const custom = decodeCustomMessage(text);
    if (custom !== null) this.handlers.custom(this, custom);
    return isBatchMarker(text) ? this.#frames.marker(text) : null;
  }
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`unexpected binary frame type ${Object.prototype.toString.call(data)}`);
}
