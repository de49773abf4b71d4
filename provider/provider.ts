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
import { CloseCode, encodeQueryAwareness, encodeUpdate, isWakeFrame, type Message } from "../src/protocol/index.js";
import { backoffDelay, wasHealthy } from "./backoff.js";
import { SocketConnection, type ConnectionHandlers } from "./connection.js";
import { CrossTabChannel } from "./cross-tab.js";
import { Deadline } from "./deadline.js";
import { ProviderDefaults } from "./defaults.js";
import { ProviderError } from "./errors.js";
import { pageIsHidden, watchPage } from "./page-events.js";
import { callForWake, renewPresenceIfDue } from "./presence-renewal.js";
import { applyMessage, awarenessOf, localAwarenessGone, localSyncStep1, localSyncStep2, removeRemoteAwareness } from "./frames.js";
import { SaveTracker } from "./save-status.js";
import type { AuthFailure, ChangeRefusal, CloseInfo, ConnectionStatus, YPartyKitProviderOptions } from "./types.js";
import { connectionUrl, resolveParams, serverUrl, type ParamsProvider } from "./url.js";
import { Watchdog } from "./watchdog.js";

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
  /**
   * The server closed the socket over a change we sent (1007, 1009): it is not stored, and is sent again on every
   * reconnect, so what follows it waits too. Tell the user; `refusal.error` says why (`ERR_DOCUMENT_TOO_LARGE`, …).
   */
  "change-refused": (refusal: ChangeRefusal, provider: YPartyKitProvider) => void;
  /** `unsyncedChanges` changed. */
  "unsynced-changes": (count: number) => void;
};

const isAuthClose = (code: number): code is AuthFailure["code"] => code === CloseCode.Unauthorized || code === CloseCode.Forbidden;
const isRefusalClose = (code: number): code is ChangeRefusal["code"] => code === CloseCode.InvalidMessage || code === CloseCode.MessageTooBig;

const DefaultWebSocket: typeof WebSocket | null = typeof WebSocket === "undefined" ? null : WebSocket;

export class YPartyKitProvider extends ObservableV2<YPartyKitProviderEvents> {
  readonly id: string;
  readonly doc: Y.Doc;
  readonly awareness: awarenessProtocol.Awareness;
  readonly roomname: string;
  readonly bcChannel: string;
  /** The URL of the latest attempt (before the first: the URL without query). */
  url: string;
  wsconnected = false;
  wsconnecting = false;
  shouldConnect = false;
  wsUnsuccessfulReconnects = 0;
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
  #connection: SocketConnection | null = null;
  #synced = false;
  /** Bumped by every new attempt and by `disconnect()`, so a stale async attempt knows to give up. */
  #generation = 0;
  #attemptPending = false;
  /** Ends the pending attempt's wait for its `params()` with an error (its deadline passed, or it was cancelled). */
  #stopWaitingForParams: ((error: ProviderError) => void) | undefined;
  /**
   * The browser came back online while a connection or an attempt was under way, and it has not shown since that it
   * works on this network (a frame, a socket that opened): if it fails, the next attempt starts at once.
   */
  #retryAtOnce = false;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Gives up the attempt under way: its `params()`, then its socket, `connectTimeout` each (sooner after a network change). */
  readonly #attemptDeadline = new Deadline((reason) => this.#attemptExpired(reason));
  readonly #connectTimeout: number;
  #resyncTimer: ReturnType<typeof setInterval> | undefined;
  #reportedUnsynced = 0;
  #destroyed = false;
  readonly #unwatchPage: () => void;
  /** The page is in the back/forward cache: its socket is closed and nothing reconnects until it is restored. */
  #suspended = false;
  /** Our awareness state when the page was hidden (which clears it), put back if the page is restored. */
  #presenceBeforeHide: { [key: string]: unknown } | null = null;

  constructor(host: string, room: string, doc?: Y.Doc, options: YPartyKitProviderOptions = {}) {
    super();
    if (typeof host !== "string") throw new TypeError(`YPartyKitProvider: host must be a string, got ${typeof host}`);
    if (typeof room !== "string") throw new TypeError(`YPartyKitProvider: room must be a string, got ${typeof room}`);
    // URLs resolve these path segments away (%2E too): the socket would go to another path and never connect
    if (room === "" || room === "." || room === "..")
      throw new TypeError(`YPartyKitProvider: a room cannot be named ${JSON.stringify(room)} (a URL drops it from the path); pick another name`);
    // Encoded once, decoded once by the server: "a/b", "q?x" or "50%" stay one room with exactly that id.
    const base = serverUrl(host, options);
    // y-partykit's rules: a prefix is the whole path, the room is not appended; the cross-tab channel is the path
    // and the room, so two prefixes (two documents) with one room name never share it.
    const roomUrl = `${base}/${encodeURIComponent(room)}`;
    this.#base = options.prefix ? base : roomUrl;
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
    this.#connectTimeout = options.connectTimeout ?? ProviderDefaults.attemptTimeoutMs;
    // 0, a negative number or NaN would give up every attempt at once: the provider would never connect, silently
    if (!(this.#connectTimeout > 0))
      throw new TypeError(`YPartyKitProvider: connectTimeout must be a positive number of ms (Infinity: no limit), got ${this.#connectTimeout}`);
    this.disableBc = options.disableBc ?? typeof window === "undefined";
    this.#crossTab = new CrossTabChannel(this.bcChannel, { doc: this.doc, awareness: this.awareness, origin: FROM_OTHER_TAB });
    this.#watchdog = new Watchdog({
      lastReceived: () => this.wsLastMessageReceived,
      framesReceived: () => this.#connection?.framesReceived ?? 0,
      slowestUploadDoneAt: () => this.#connection?.slowestUploadDoneAt ?? 0,
      sendQueue: () => this.#connection?.sendQueue ?? { sent: 0, queued: 0, held: 0 },
      probe: () => this.#connection?.send(localSyncStep1(this.doc)),
      dead: (reason) => this.#connection?.close(reason, false),
    });
    const resyncInterval = options.resyncInterval ?? ProviderDefaults.resyncInterval;
    if (resyncInterval > 0) {
      this.#resyncTimer = setInterval(() => this.#connection?.send(localSyncStep1(this.doc)), resyncInterval);
    }
    this.doc.on("update", this.#onDocUpdate);
    this.awareness.on("update", this.#onAwarenessUpdate);
    this.#unwatchPage = watchPage({
      offline: () => this.#networkChanged("went offline"),
      online: () => this.#networkChanged("came back online"),
      hidden: (persisted) => this.#pageHidden(persisted),
      restored: () => this.#pageRestored(),
      visibilityChanged: () => this.#visibilityChanged(),
    });
    if (options.connect ?? true) void this.connect();
  }

  /** The current socket, or `null`. */
  get ws(): WebSocket | null {
    return this.#connection?.ws ?? null;
  }

  get wsLastMessageReceived(): number {
    return this.#connection?.lastReceivedAt ?? 0;
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
    if (this.#underWay) return;
    clearTimeout(this.#reconnectTimer);
    await this.#attempt();
  }

  /** A socket or an attempt is under way: whatever would start another waits for it to end instead. */
  get #underWay(): boolean {
    return this.#connection !== null || this.#attemptPending;
  }

  /** Closes the connection and stops reconnecting, announcing our awareness as gone. */
  disconnect(): void {
    this.#stopReconnecting();
    const gone = localAwarenessGone(this.awareness);
    this.#connection?.send(gone);
    this.#crossTab.publish(gone);
    this.#crossTab.leave();
    this.#connection?.close("disconnect");
  }

  /**
   * No more attempts until `connect()`: the one under way ends too (one a listener of the close started, before an auth
   * close stopped us, was left pending for good, and every `connect()` after it returned without connecting).
   */
  #stopReconnecting(): void {
    this.shouldConnect = false;
    this.#cancelAttempts();
  }

  /** A pending attempt gives up, and a scheduled one never starts. */
  #cancelAttempts(): void {
    this.#generation++;
    this.#stopWaitingForParams?.(new ProviderError("ERR_PARAMS", "the attempt was cancelled")); // ignored: not its generation
    this.#attemptPending = false;
    this.#retryAtOnce = false;
    this.wsconnecting = false;
    this.#attemptDeadline.clear();
    clearTimeout(this.#reconnectTimer);
  }

  override destroy(): void {
    if (this.#destroyed) return;
    this.disconnect();
    this.#destroyed = true;
    clearInterval(this.#resyncTimer);
    this.#watchdog.stop();
    this.doc.off("update", this.#onDocUpdate);
    this.awareness.off("update", this.#onAwarenessUpdate);
    this.#unwatchPage();
    if (this.#ownsAwareness) this.awareness.destroy();
    super.destroy();
  }

  /**
   * Each listener is called apart: one that throws does not keep the others from hearing the event, nor the provider
   * from going on (a throw in a `connection-close` listener left it "connected" on a dead socket, and never
   * reconnecting; in an attempt, an unhandled rejection and a `connect()` that rejected). What it threw is reported as
   * an uncaught error, as a throwing event listener's is in a browser.
   */
  override emit<N extends keyof YPartyKitProviderEvents & string>(name: N, args: Parameters<YPartyKitProviderEvents[N]>): void {
    for (const listener of [...(this._observers.get(name) ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Sends a custom string message (`__YPS:` text frame). Returns false when not connected. */
  sendMessage(message: string): boolean {
    return this.#connection?.sendCustom(message) ?? false;
  }

  async #attempt(): Promise<void> {
    const generation = ++this.#generation;
    this.#attemptPending = true;
    this.#retryAtOnce = false; // it was about what was under way before; this attempt starts on the network now in use
    this.wsconnecting = true;
    this.#attemptDeadline.set(this.#connectTimeout, `params() did not settle within ${this.#connectTimeout} ms`);
    const stopped = new Promise<never>((_, reject) => (this.#stopWaitingForParams = reject));
    let params;
    try {
      params = await Promise.race([resolveParams(this.#params), stopped]);
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#attemptPending = false;
      this.#failedBeforeSocket(error as ProviderError, true);
      return;
    }
    // disconnect(), destroy(), an auth close or a newer attempt happened while params were resolving (each ended this one).
    if (generation !== this.#generation) return;
    // `shouldConnect` set to false by hand meanwhile (a y-websocket habit): the attempt ends here, nothing opens.
    if (!this.shouldConnect) return this.#cancelAttempts();
    this.#attemptPending = false;
    this.url = connectionUrl(this.#base, this.id, params, this.#durableAcks);
    this.#openSocket();
  }

  #openSocket(): void {
    if (!this._WS) {
      const error = new ProviderError("ERR_NO_WEBSOCKET", "No WebSocket implementation: pass options.WebSocketPolyfill");
      return this.#failedBeforeSocket(error, false);
    }
    try {
      this.#connection = new SocketConnection(this._WS, this.url, this.#socketEvents);
    } catch (cause) {
      return this.#failedBeforeSocket(new ProviderError("ERR_SOCKET_CREATE", String(cause), cause), true);
    }
    // A handshake nobody answers is given up (the close reconnects with backoff)
    this.#attemptDeadline.set(this.#connectTimeout, "the socket did not open in time");
    this.wsconnecting = true;
    this.wsconnected = false;
    this.synced = false;
    this.emit("status", [{ status: "connecting" }]);
  }

  /** The attempt under way did not get its params, or its socket open, by its deadline: given up, and retried. */
  #attemptExpired(reason: string): void {
    if (this.#attemptPending) return this.#stopWaitingForParams?.(new ProviderError("ERR_PARAMS", reason));
    if (this.#connection?.openedAt === 0) this.#connection.close(reason, false);
  }

  #failedBeforeSocket(error: ProviderError, retry: boolean): void {
    this.#attemptDeadline.clear();
    this.wsconnecting = false;
    this.emit("connection-error", [error, this]);
    if (retry) this.#scheduleReconnect(false);
  }

  /** Socket events, each ignored unless it comes from the current connection. */
  readonly #socketEvents: ConnectionHandlers = {
    opened: (connection) => {
      if (connection !== this.#connection) return;
      this.#attemptDeadline.clear();
      this.#retryAtOnce = false;
      this.wsconnecting = false;
      this.wsconnected = true;
      this.#save.connectionOpened();
      this.#watchdog.start();
      this.emit("status", [{ status: "connected" }]);
      connection.send(localSyncStep1(this.doc));
      if (this.awareness.getLocalState() !== null) connection.send(awarenessOf(this.awareness, [this.awareness.clientID]));
    },
    message: (connection, message) => {
      if (connection !== this.#connection) return;
      if (isWakeFrame(message)) connection.wakeCallPending = false;
      else if (message.type === "durable-ack") connection.answersWakeCalls = true; // before #frameArrived, which may call
      this.#frameArrived(connection);
      this.#handle(message, connection);
    },
    custom: (connection, message) => {
      if (connection !== this.#connection) return;
      this.#frameArrived(connection);
      this.emit("custom-message", [message]);
    },
    error: (connection, error) => {
      if (connection === this.#connection) this.emit("connection-error", [error, this]);
    },
    closed: (connection, event, local) => {
      if (connection === this.#connection) this.#closed(connection, event, local);
    },
  };

  #handle(message: Message, connection: SocketConnection): void {
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
    const reply = applyMessage(message, {
      doc: this.doc,
      awareness: this.awareness,
      origin: this,
      ownStructsFrom: this.#save.ownStructsFrom(this.doc.clientID),
    });
    // Our step 2 (the answer to the server's step 1) is a document message: it counts for acks.
    if (reply && connection.send(reply) && message.type === "sync-step1") this.#save.stepTwoSent(this.#ownClock, this.doc.clientID);
    if (message.type === "sync-step2") {
      connection.synced = true;
      this.synced = true;
    }
  }

  /**
   * A frame came: the connection works on the network now in use. Network events are not throttled in a hidden page,
   * its timers are: a frame renews our presence when Awareness's timer may be too late to, and a wake-up call is kept
   * waiting so that the next frame comes in time even when no one else sends anything (presence-renewal.ts). Before the
   * frame is handled, whose listeners may disconnect; a "gone" for us in it then carries an older clock than the
   * renewal and is ignored.
   */
  #frameArrived(connection: SocketConnection): void {
    this.#retryAtOnce = false; // its failure now says something of this network
    if (!pageIsHidden()) return;
    renewPresenceIfDue(this.awareness, ProviderDefaults.presenceRenewOnFrameMs);
    callForWake(this.awareness, connection, ProviderDefaults.presenceWakeCallMs);
  }

  /** A socket ended, whoever ended it: report, then back off or stop. */
  #closed(connection: SocketConnection, event: CloseInfo, local: boolean): void {
    this.#attemptDeadline.clear();
    const wasConnected = this.wsconnected;
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
      this.#stopReconnecting();
      this.emit("auth-error", [{ code: event.code, reason: event.reason }, this]);
      return;
    }
    if (!local && isRefusalClose(event.code)) {
      const error = /^(ERR_[A-Z_]+)\b/.exec(event.reason)?.[1];
      this.emit("change-refused", [{ code: event.code, reason: event.reason, error }, this]);
    }
    const opened = connection.openedAt > 0 ? connection : null;
    this.#scheduleReconnect(wasHealthy(opened, Date.now(), ProviderDefaults.stableConnectionMs));
  }

  #scheduleReconnect(afterHealthyConnection: boolean): void {
    // Under way already: a listener of the events just emitted called connect(). That attempt is the retry; another
    // would overwrite its deadline and its way out of params(), and it (and its connect() promise) would never end.
    if (!this.shouldConnect || this.#destroyed || this.#suspended || this.#underWay) return;
    if (this.#retryAtOnce) {
      this.wsUnsuccessfulReconnects = 0;
      clearTimeout(this.#reconnectTimer);
      return void this.#attempt();
    }
    const attempt = afterHealthyConnection ? 0 : this.wsUnsuccessfulReconnects;
    this.wsUnsuccessfulReconnects = attempt + 1;
    const delay = backoffDelay(attempt, { initialMs: ProviderDefaults.initialBackoffMs, maxMs: this.maxBackoffTime });
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      if (this.shouldConnect && !this.#underWay) void this.#attempt();
    }, delay);
  }

  #joinCrossTab(): void {
    if (this.disableBc) return;
    this.#crossTab.join([localSyncStep1(this.doc), localSyncStep2(this.doc), encodeQueryAwareness(), awarenessOf(this.awareness, [this.awareness.clientID])]);
  }

  /** Our client's clock in the document: how far what we sent covers our own changes. */
  get #ownClock(): number {
    return Y.getState(this.doc.store, this.doc.clientID);
  }

  #reportUnsynced(): void {
    const count = this.#save.unsynced;
    if (count === this.#reportedUnsynced) return;
    this.#reportedUnsynced = count;
    this.emit("unsynced-changes", [count]);
  }

  readonly #onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this) return; // from the server: already there
    // Another tab's change goes to the server too (not back to the tabs): that tab's socket may be down, and it may
    // close before it comes back; the server takes what it has already without changing anything.
    this.#save.localChange();
    const frame = encodeUpdate(update);
    if (this.#connection?.send(frame)) this.#save.updateSent(this.#ownClock, this.doc.clientID);
    if (origin !== FROM_OTHER_TAB) this.#crossTab.publish(frame);
    this.#reportUnsynced();
  };

  /**
   * Only our own entry goes out: peers' entries are theirs to announce (and to time out). Whatever the
   * origin: when a peer or the server announces us as gone, y-protocols bumps our clock, and sending our
   * entry again is how we say we are still here. Our entry is under the Awareness's id, which stays when Yjs gives
   * the doc a new client id (it does when another client seems to use the doc's).
   */
  readonly #onAwarenessUpdate = (change: { added: number[]; updated: number[]; removed: number[] }): void => {
    const own = this.awareness.clientID;
    if (![...change.added, ...change.updated, ...change.removed].includes(own)) return;
    const frame = awarenessOf(this.awareness, [own]);
    this.#connection?.send(frame);
    this.#crossTab.publish(frame);
  };

  /**
   * The browser went offline or came back. What is under way was started on the network before, and may be stalled
   * (offline, nothing passes) or dead (a new network): an open socket must answer a probe, an attempt must get its
   * params and its socket open, within seconds instead of the silence or connect timeout. Back online, until it shows
   * it works on this network (a frame, a socket that opens), its failure says nothing of this network: the next
   * attempt starts at once. Without one, a retry waiting out its backoff starts now, and the backoff starts over (the
   * failures before said nothing about this network). Attempts are not held back while offline: a server on this
   * machine or network is still reachable then.
   */
  #networkChanged(change: "went offline" | "came back online"): void {
    if (!this.shouldConnect || this.#destroyed || this.#suspended) return;
    const online = globalThis.navigator?.onLine !== false;
    const within = ProviderDefaults.networkChangeAnswerMs;
    if (this.#underWay) {
      this.#retryAtOnce = online;
      if (this.#connection?.openedAt) return this.#watchdog.checkSoon(within, `no answer after the browser ${change}`);
      const stage = this.#attemptPending ? "params() did not settle" : "the socket did not open";
      return this.#attemptDeadline.bringForward(within, `${stage} within ${within} ms after the browser ${change}`);
    }
    if (!online) return;
    clearTimeout(this.#reconnectTimer);
    this.wsUnsuccessfulReconnects = 0;
    void this.#attempt();
  }

  /**
   * Presence leaves with the page at once (others see the cursor go now, not after the awareness timeout). Into the
   * back/forward cache, the socket is closed too: browsers do not cache a page with an open WebSocket (Chrome reloads
   * it on Back), and one that is cached would come back with a socket the server has given up.
   */
  #pageHidden(persisted: boolean): void {
    this.#presenceBeforeHide = this.awareness.getLocalState();
    awarenessProtocol.removeAwarenessStates(this.awareness, [this.awareness.clientID], "window unload");
    if (!persisted) return;
    this.#suspended = true;
    this.#cancelAttempts();
    this.#connection?.close("page hidden into the back/forward cache");
  }

  /**
   * Hidden now: the wake-up call goes out at once. Waiting for the next frame to ask (#frameArrived) could wait for our
   * own renewal's echo, from the very timer the browser is about to throttle.
   */
  #visibilityChanged(): void {
    if (this.#connection && pageIsHidden()) callForWake(this.awareness, this.#connection, ProviderDefaults.presenceWakeCallMs);
  }

  /** Back from the back/forward cache: our presence as it was, and a connection at once. */
  #pageRestored(): void {
    this.#suspended = false;
    const presence = this.#presenceBeforeHide;
    this.#presenceBeforeHide = null;
    if (presence !== null && this.awareness.getLocalState() === null) this.awareness.setLocalState(presence);
    if (!this.shouldConnect || this.#destroyed || this.#underWay) return;
    this.wsUnsuccessfulReconnects = 0;
    void this.#attempt();
  }
}

/** The origin of changes and awareness applied from other tabs (BroadcastChannel). */
const FROM_OTHER_TAB = Symbol("yparty.provider.otherTab");
