/**
 * `YPartyKitProvider`: a Yjs provider that is a drop-in for y-partykit's and y-partyserver's (same
 * constructor, options, events and fields), with backoff that a refusing server cannot turn into a
 * reconnect storm, params refreshed on every attempt, auth close codes that stop retries, and a durable
 * save status from yparty's acknowledgements. Browser-safe: yjs, y-protocols, lib0 and src/protocol only.
 */
import { ObservableV2 } from "lib0/observable";
import * as random from "lib0/random";
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import {
  ChunkedFrameReader,
  CloseCode,
  decodeCustomMessage,
  decodeMessage,
  encodeCustomMessage,
  encodeQueryAwareness,
  encodeUpdate,
  isBatchMarker,
  splitIntoChunks,
  type Message,
} from "../src/protocol/index.js";
import { backoffDelay, wasHealthy } from "./backoff.js";
import { CrossTabChannel } from "./cross-tab.js";
import { LOCAL_CLOSE_CODE, ProviderDefaults } from "./defaults.js";
import { ProviderError } from "./errors.js";
import {
  applyMessage,
  awarenessOf,
  localAwarenessGone,
  localSyncStep1,
  localSyncStep2,
  removeRemoteAwareness,
} from "./frames.js";
import { SaveTracker } from "./save-status.js";
import { connectionUrl, resolveParams, serverUrl, type EndpointOptions, type ParamsProvider } from "./url.js";
import { Watchdog } from "./watchdog.js";

export interface YPartyKitProviderOptions extends EndpointOptions {
  /** Connect from the constructor (default true). */
  connect?: boolean;
  /** Query parameters, or a (sync or async) function called again before every connection attempt. */
  params?: ParamsProvider;
  awareness?: awarenessProtocol.Awareness;
  /** A WebSocket class where there is no global one (Node 20: the `ws` package). */
  WebSocketPolyfill?: typeof WebSocket | null;
  /** Ask the server for its state every this many ms (default: never). */
  resyncInterval?: number;
  /** Cap of the reconnect delay in ms (default 2500). */
  maxBackoffTime?: number;
  /** No cross-tab sync (default: on in browsers, off elsewhere). */
  disableBc?: boolean;
  /** The `_pk` connection id (default: a random UUID). */
  connectionId?: string;
  /** Ask yparty for durable acknowledgements (`?yparty_ack=1`), which drive `unsyncedChanges` (default true). */
  durableAcks?: boolean;
}

export type ConnectionStatus = "connecting" | "connected" | "disconnected";

/** What `connection-close` carries: the socket's CloseEvent, or this shape when we closed it ourselves. */
export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
}

export interface AuthFailure {
  code: typeof CloseCode.Unauthorized | typeof CloseCode.Forbidden;
  reason: string;
}

export type YPartyKitProviderEvents = {
  status: (event: { status: ConnectionStatus }) => void;
  sync: (synced: boolean) => void;
  synced: (synced: boolean) => void;
  "connection-close": (event: CloseInfo, provider: YPartyKitProvider) => void;
  "connection-error": (event: Event | ProviderError, provider: YPartyKitProvider) => void;
  "custom-message": (message: string) => void;
  /** The server closed with 4401/4403: the provider stopped reconnecting; `connect()` resumes it. */
  "auth-error": (failure: AuthFailure, provider: YPartyKitProvider) => void;
  /** The server refused our writes (y-protocols permission-denied message). */
  "permission-denied": (reason: string) => void;
  /** `unsyncedChanges` changed. */
  "unsynced-changes": (count: number) => void;
};

interface LiveConnection {
  openedAt: number;
  synced: boolean;
  frames: ChunkedFrameReader;
  /** The server refused our writes (read-only): its acks then count messages it did not store. */
  writesRefused: boolean;
}

const isAuthClose = (code: number): code is AuthFailure["code"] =>
  code === CloseCode.Unauthorized || code === CloseCode.Forbidden;

const DefaultWebSocket: typeof WebSocket | null = typeof WebSocket === "undefined" ? null : WebSocket;

export class YPartyKitProvider extends ObservableV2<YPartyKitProviderEvents> {
  readonly id: string;
  readonly doc: Y.Doc;
  readonly awareness: awarenessProtocol.Awareness;
  readonly roomname: string;
  readonly bcChannel: string;
  /** The URL of the latest attempt (before the first: the URL without query). */
  url: string;
  ws: WebSocket | null = null;
  wsconnected = false;
  wsconnecting = false;
  shouldConnect = false;
  wsUnsuccessfulReconnects = 0;
  wsLastMessageReceived = 0;
  maxBackoffTime: number;
  disableBc: boolean;
  _WS: typeof WebSocket | null;

  readonly #base: string;
  readonly #params: ParamsProvider | undefined;
  readonly #durableAcks: boolean;
  readonly #ownsAwareness: boolean;
  readonly #crossTab: CrossTabChannel;
  readonly #save = new SaveTracker();
  readonly #watchdog: Watchdog;
  #synced = false;
  #connection: LiveConnection | null = null;
  /** Bumped by every new attempt and by `disconnect()`, so a stale async attempt knows to give up. */
  #generation = 0;
  #attemptPending = false;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #resyncTimer: ReturnType<typeof setInterval> | undefined;
  #reportedUnsynced = 0;
  #destroyed = false;

  constructor(host: string, room: string, doc?: Y.Doc, options: YPartyKitProviderOptions = {}) {
    super();
    if (typeof host !== "string") throw new TypeError(`YPartyKitProvider: host must be a string, got ${typeof host}`);
    if (typeof room !== "string") throw new TypeError(`YPartyKitProvider: room must be a string, got ${typeof room}`);
    const roomUrl = `${serverUrl(host, { ...options, prefix: undefined })}/${room}`;
    // y-partykit's rule: a prefix is the whole path, the room is not appended.
    this.#base = options.prefix ? serverUrl(host, options) : roomUrl;
    this.url = this.#base;
    this.bcChannel = roomUrl;
    this.roomname = room;
    this.doc = doc ?? new Y.Doc();
    this.id = options.connectionId ?? random.uuidv4();
    this.#ownsAwareness = !options.awareness;
    this.awareness = options.awareness ?? new awarenessProtocol.Awareness(this.doc);
    this.#params = options.params;
    this.#durableAcks = options.durableAcks ?? true;
    this._WS = options.WebSocketPolyfill === undefined ? DefaultWebSocket : options.WebSocketPolyfill;
    this.maxBackoffTime = options.maxBackoffTime ?? ProviderDefaults.maxBackoffMs;
    this.disableBc = options.disableBc ?? typeof window === "undefined";
    this.#crossTab = new CrossTabChannel(this.bcChannel, { doc: this.doc, awareness: this.awareness, origin: this });
    this.#watchdog = new Watchdog({
      lastReceived: () => this.wsLastMessageReceived,
      probe: () => this.#send(localSyncStep1(this.doc)),
      dead: () => this.ws && this.#socketClosed(this.ws, { code: LOCAL_CLOSE_CODE, reason: "no frame from the server", wasClean: false }, true),
    });
    const resyncInterval = options.resyncInterval ?? ProviderDefaults.resyncInterval;
    if (resyncInterval > 0) {
      this.#resyncTimer = setInterval(() => this.#send(localSyncStep1(this.doc)), resyncInterval);
    }
    this.doc.on("update", this.#onDocUpdate);
    this.awareness.on("update", this.#onAwarenessUpdate);
    if (typeof window !== "undefined") window.addEventListener("pagehide", this.#onPageHide);
    if (options.connect ?? true) void this.connect();
  }

  get synced(): boolean {
    return this.#synced;
  }

  set synced(state: boolean) {
    if (this.#synced === state) return;
    this.#synced = state;
    this.emit("synced", [state]);
    this.emit("sync", [state]);
  }

  get bcconnected(): boolean {
    return this.#crossTab.joined;
  }

  /** Local changes not yet durably stored by the server (needs a yparty server; see docs/provider.md). */
  get unsyncedChanges(): number {
    return this.#save.unsynced;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Starts connecting (and keeps reconnecting). Resolves once the attempt has a socket or gave up. */
  async connect(): Promise<void> {
    if (this.#destroyed) return;
    this.shouldConnect = true;
    this.#joinCrossTab();
    if (this.ws !== null || this.#attemptPending) return;
    clearTimeout(this.#reconnectTimer);
    await this.#attempt();
  }

  /** Closes the connection and stops reconnecting, announcing our awareness as gone. */
  disconnect(): void {
    this.shouldConnect = false;
    this.#generation++;
    this.#attemptPending = false;
    this.wsconnecting = false;
    clearTimeout(this.#reconnectTimer);
    const gone = localAwarenessGone(this.awareness);
    this.#send(gone);
    this.#crossTab.publish(gone);
    this.#crossTab.leave();
    if (this.ws) this.#socketClosed(this.ws, { code: LOCAL_CLOSE_CODE, reason: "disconnect", wasClean: true }, true);
  }

  override destroy(): void {
    if (this.#destroyed) return;
    this.disconnect();
    this.#destroyed = true;
    clearInterval(this.#resyncTimer);
    this.#watchdog.stop();
    this.doc.off("update", this.#onDocUpdate);
    this.awareness.off("update", this.#onAwarenessUpdate);
    if (typeof window !== "undefined") window.removeEventListener("pagehide", this.#onPageHide);
    if (this.#ownsAwareness) this.awareness.destroy();
    super.destroy();
  }

  /** Sends a custom string message (`__YPS:` text frame). Returns false when not connected. */
  sendMessage(message: string): boolean {
    const ws = this.ws;
    if (!this.wsconnected || !ws || ws.readyState !== ws.OPEN) return false;
    ws.send(encodeCustomMessage(message));
    return true;
  }

  async #attempt(): Promise<void> {
    const generation = ++this.#generation;
    this.#attemptPending = true;
    this.wsconnecting = true;
    let params;
    try {
      params = await resolveParams(this.#params);
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#attemptPending = false;
      this.wsconnecting = false;
      this.emit("connection-error", [error as ProviderError, this]);
      this.#scheduleReconnect(false);
      return;
    }
    // disconnect(), destroy() or a newer attempt happened while params were resolving.
    if (generation !== this.#generation || !this.shouldConnect) return;
    this.#attemptPending = false;
    this.url = connectionUrl(this.#base, this.id, params, this.#durableAcks);
    this.#openSocket();
  }

  #openSocket(): void {
    const WS = this._WS;
    if (!WS) {
      this.wsconnecting = false;
      const error = new ProviderError("ERR_NO_WEBSOCKET", "No WebSocket implementation: pass options.WebSocketPolyfill");
      this.emit("connection-error", [error, this]);
      return;
    }
    let ws: WebSocket;
    try {
      ws = new WS(this.url);
    } catch (cause) {
      this.wsconnecting = false;
      this.emit("connection-error", [new ProviderError("ERR_SOCKET_CREATE", String(cause), cause), this]);
      this.#scheduleReconnect(false);
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.wsconnecting = true;
    this.wsconnected = false;
    this.synced = false;
    ws.onopen = () => this.#opened(ws);
    ws.onmessage = (event) => this.#received(ws, event.data);
    ws.onerror = (event) => {
      if (ws === this.ws) this.emit("connection-error", [event, this]);
    };
    ws.onclose = (event) => this.#socketClosed(ws, event, false);
    this.emit("status", [{ status: "connecting" }]);
  }

  #opened(ws: WebSocket): void {
    if (ws !== this.ws) return;
    this.wsLastMessageReceived = Date.now();
    this.wsconnecting = false;
    this.wsconnected = true;
    this.#connection = {
      openedAt: Date.now(),
      synced: false,
      frames: new ChunkedFrameReader(ProviderDefaults.maxIncomingFrameBytes),
      writesRefused: false,
    };
    this.#save.connectionOpened();
    this.#watchdog.start();
    this.emit("status", [{ status: "connected" }]);
    this.#send(localSyncStep1(this.doc));
    if (this.awareness.getLocalState() !== null) this.#send(awarenessOf(this.awareness, [this.doc.clientID]));
  }

  #received(ws: WebSocket, data: unknown): void {
    const connection = this.#connection;
    if (ws !== this.ws || !connection) return;
    this.wsLastMessageReceived = Date.now();
    let frame: Uint8Array | null;
    try {
      frame = typeof data === "string" ? this.#textFrame(data, connection) : connection.frames.binary(toBytes(data));
      if (frame) this.#handle(decodeMessage(frame), connection);
    } catch (cause) {
      const error = new ProviderError("ERR_BAD_FRAME", `skipped a frame: ${(cause as Error).message}`, cause);
      this.emit("connection-error", [error, this]);
    }
  }

  #textFrame(text: string, connection: LiveConnection): Uint8Array | null {
    const custom = decodeCustomMessage(text);
    if (custom !== null) this.emit("custom-message", [custom]);
    return isBatchMarker(text) ? connection.frames.marker(text) : null;
  }

  #handle(message: Message, connection: LiveConnection): void {
    if (message.type === "durable-ack") {
      if (connection.writesRefused) return;
      this.#save.acknowledged(message.count);
      this.#reportUnsynced();
      return;
    }
    if (message.type === "permission-denied") {
      // Sent before the ack of the refused message, so no ack of a refused change is ever counted.
      connection.writesRefused = true;
      this.emit("permission-denied", [message.reason]);
      return;
    }
    const reply = applyMessage(message, { doc: this.doc, awareness: this.awareness, origin: this });
    if (reply) this.#send(reply, message.type === "sync-step1");
    if (message.type === "sync-step2") {
      connection.synced = true;
      this.synced = true;
    }
  }

  /**
   * The one place a socket ends, whoever ended it: detach it at once (so a reconnect never overlaps
   * it), report, then back off or stop.
   */
  #socketClosed(ws: WebSocket, event: CloseInfo, local: boolean): void {
    if (ws !== this.ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = () => {}; // closing a CONNECTING socket reports an error; Node's `ws` throws it unhandled
    if (local) ws.close(LOCAL_CLOSE_CODE);
    const connection = this.#connection;
    const wasConnected = this.wsconnected;
    this.ws = null;
    this.#connection = null;
    this.wsconnecting = false;
    this.#watchdog.stop();
    this.emit("connection-close", [event, this]);
    if (wasConnected) {
      this.wsconnected = false;
      this.synced = false;
      removeRemoteAwareness(this.awareness, this);
      this.emit("status", [{ status: "disconnected" }]);
    }
    if (!local && isAuthClose(event.code)) {
      this.shouldConnect = false;
      this.emit("auth-error", [{ code: event.code, reason: event.reason }, this]);
      return;
    }
    this.#scheduleReconnect(wasHealthy(connection, Date.now(), ProviderDefaults.stableConnectionMs));
  }

  #scheduleReconnect(afterHealthyConnection: boolean): void {
    if (!this.shouldConnect || this.#destroyed) return;
    const attempt = afterHealthyConnection ? 0 : this.wsUnsuccessfulReconnects;
    this.wsUnsuccessfulReconnects = attempt + 1;
    const delay = backoffDelay(attempt, { initialMs: ProviderDefaults.initialBackoffMs, maxMs: this.maxBackoffTime });
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      if (this.shouldConnect && this.ws === null && !this.#attemptPending) void this.#attempt();
    }, delay);
  }

  /** Sends a frame on the open socket, chunked when large; `documentMessage` frames count for acks. */
  #send(frame: Uint8Array, documentMessage = false): void {
    const ws = this.ws;
    if (!this.wsconnected || !ws || ws.readyState !== ws.OPEN) return;
    if (documentMessage) this.#save.documentMessageSent();
    for (const part of splitIntoChunks(frame)) ws.send(part);
  }

  #joinCrossTab(): void {
    if (this.disableBc) return;
    this.#crossTab.join([
      localSyncStep1(this.doc),
      localSyncStep2(this.doc),
      encodeQueryAwareness(),
      awarenessOf(this.awareness, [this.doc.clientID]),
    ]);
  }

  #reportUnsynced(): void {
    const count = this.#save.unsynced;
    if (count === this.#reportedUnsynced) return;
    this.#reportedUnsynced = count;
    this.emit("unsynced-changes", [count]);
  }

  readonly #onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this) return; // from the server or another tab: already where it belongs
    this.#save.localChange();
    const frame = encodeUpdate(update);
    this.#send(frame, true);
    this.#crossTab.publish(frame);
    this.#reportUnsynced();
  };

  /** Only our own entry goes out: peers' entries are theirs to announce (and to time out). */
  readonly #onAwarenessUpdate = (
    change: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    if (origin === this) return;
    const own = this.doc.clientID;
    if (![...change.added, ...change.updated, ...change.removed].includes(own)) return;
    const frame = awarenessOf(this.awareness, [own]);
    this.#send(frame);
    this.#crossTab.publish(frame);
  };

  readonly #onPageHide = (): void => {
    awarenessProtocol.removeAwarenessStates(this.awareness, [this.doc.clientID], "window unload");
  };
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`unexpected binary frame type ${Object.prototype.toString.call(data)}`);
}
