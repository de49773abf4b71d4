/**
 * One live room: the single instance every connection and request to one party+room id reaches.
 * It owns every call into the room's user code, so a throwing hook is logged, closes one connection (1011) or
 * answers one generic 500, and never reaches other connections, rooms or the process.
 */
import type { WebSocket as WsSocket } from "ws";
import { CloseCode, fitCloseReason } from "../protocol/index.js";
import { StorageError } from "../../persistence/types.js";
import type { Storage as BackingStorage } from "../../persistence/types.js";
import { RoomConnection, type ConnectionOwner } from "./connection.js";
import { newConnectionId } from "./connection-id.js";
import { closeEvent, errorEvent, messageEvent } from "./connection-events.js";
import { ConnectionSet, prepareTags } from "./connections.js";
import { asError, codeOf, errorResponse, failureOfTheMoment, RuntimeError, retryableIn, retryCloseCode, runtimeErrorResponse } from "./errors.js";
import { hookThrowResponse } from "./hook-throw.js";
import { callUser, isThenable, settleWithin } from "./guard.js";
import { closeSocketsWithin } from "./socket-close.js";
import type { StubSockets } from "./stub-sockets.js";
import type { Durability } from "./document-storage.js";
import type { Limits } from "./limits.js";
import type { Logger } from "./log.js";
import type { ConnectionContext, Context, Room, Server } from "./party-types.js";
import type { PartyDefinition } from "./party-module.js";
import { createPartyRoom } from "./party-room.js";
import { PendingStorageOps, type RoomAlarm } from "./room-storage.js";
import { InputGate } from "./input-gate.js";
import { Inbox, binaryFrame, type Frame } from "./inbox.js";
import { heartbeatTimeoutLog } from "./heartbeat.js";
import type { FrameBudget } from "./frame-budget.js";
import type { SendBudget, SendBufferLimit } from "./send-budget.js";
import { WebSocket, ignoreError } from "./ws.js";
import { releaseFirstWrite } from "./first-write.js";
import { HandedConnection } from "./handed-connection.js";
import { RepeatedFailures } from "./repeated-failures.js";

export interface RoomDeps {
  party: string;
  roomId: string;
  definition: PartyDefinition;
  env: Record<string, unknown>;
  storage: BackingStorage;
  alarm: RoomAlarm;
  alarmPending(): boolean;
  /** `room.context`, whose stubs open their sockets in `stubSockets`. */
  context: Context;
  /** The sockets this instance's stubs opened: they end with it, as a Durable Object's end with its reset. */
  stubSockets: StubSockets;
  limits: Limits;
  /** The server's durability for document parties (see `DocumentStorage.durability`). */
  durability: Durability;
  /** The document layer's limits (see `DocumentStorage.documentLimits`). */
  documentLimits: Readonly<Record<string, number>>;
  logger: Logger;
  /** See `DocumentStorage.serverStopping`. */
  serverStopping: AbortSignal;
  /** Unsent bytes, per connection and server-wide. */
  sendBudget: SendBudget;
  /** Bytes of messages read and not handled yet, server-wide. */
  frameBudget: FrameBudget;
  /** Called whenever the room may have become idle (the registry decides). */
  mayBeIdle(room: LiveRoom): void;
  /** In a cluster: whether the room is still served here, asked for each frame (false: it was lost, drop the frame). */
  servedHere?(room: LiveRoom): boolean;
  /** Gives a connection still waiting for this instance's start when it stopped to the room's next instance. */
  handOver(connection: HandedConnection): void;
}

/** What a party without `getConnectionTags` tags a connection with (besides its id). */
const NO_USER_TAGS: readonly string[] = [];

/**
 * Thrown by `request` and `alarm` when the room stopped while they waited for its turn, before any user code ran:
 * the registry hands them to the room's next instance (a reload's new code), instead of the stopped one running them.
 */
export class RoomStopped extends Error {}

export class LiveRoom implements ConnectionOwner {
  readonly party: string;
  readonly id: string;
  readonly connections = new ConnectionSet();
  /** The `Party.Room` user code receives. */
  readonly room: Room;
  /** What the heartbeat calls when one of its sockets stopped answering (one for all of them). */
  readonly heartbeatTimedOut: () => void;
  #server: Server | undefined;
  readonly #gate: InputGate;
  readonly #inbox: Inbox;
  /** Accepted, not yet among `connections` (the room is starting, or getConnectionTags runs): they count toward the limit. */
  readonly #starting = new Set<RoomConnection>();
  readonly #closingHooks = new Set<Promise<unknown>>();
  /** Sockets the client closed while their frames waited: closed for the room once those are delivered. */
  readonly #pendingCloses = new Map<RoomConnection, { code: number; reason: string }>();
  /** Told when the last pending close is gone (a stop waits for them before `onStop`). */
  #noPendingCloses: (() => void) | undefined;
  /** Connections handed to the next instance before their socket closed: their close goes there. */
  readonly #handedOver = new Map<RoomConnection, HandedConnection>();
  /**
   * Those of them whose client had sent nothing the room had read: they go to the next instance once a frame it sent
   * before it read the stop's close arrives; if none does, the close told their client and no instance takes them.
   */
  readonly #handOnFrame = new Set<RoomConnection>();
  readonly #messageFailures = new RepeatedFailures();
  readonly #storageOps = new PendingStorageOps();
  /** See `DocumentStorage.whenStopping`. */
  readonly #stoppingHooks = new Set<() => unknown>();
  #busy = 0;
  #stopped = false;
  /** What waits for the room's turn (see #ready): told when the room stops, so it stops waiting. */
  readonly #waitingForTurn = new Set<() => void>();
  /** The party keeps nothing in memory: unload as soon as idle (until a connection arrives). */
  #unloadWhenIdle = false;

  constructor(private readonly deps: RoomDeps) {
    this.party = deps.party;
    this.id = deps.roomId;
    this.heartbeatTimedOut = heartbeatTimeoutLog(deps.logger, { party: deps.party, room: deps.roomId });
    this.#gate = new InputGate(() => this.#start());
    this.room = createPartyRoom({
      ...deps,
      connections: this.connections,
      storageOps: this.#storageOps,
      inputGate: (read) => this.#gate.holdWhile(read),
      storageLimits: () => this.#server?.options?.storageLimits !== false,
      blockConcurrencyWhile: (fn) => this.#whileBusy(() => this.#gate.block(fn)),
      unloadWhenIdle: () => void (this.#unloadWhenIdle = true),
      whenStopping: (hook) => {
        if (this.#stopped)
          void callUser(hook).catch(() => {}); // too late to be awaited: run now
        else this.#stoppingHooks.add(hook);
      },
    });
    this.#inbox = new Inbox(
      this.#gate,
      (connection, frame) => this.#deliver(connection, frame),
      (connection) => this.#inboxDone(connection),
    );
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The party asked to be unloaded as soon as nothing holds the room (see `DocumentStorage.unloadWhenIdle`). */
  get unloadsWhenIdle(): boolean {
    return this.#unloadWhenIdle;
  }

  /**
   * Calls `visit` with the network socket of every connection it accepted (joined or still starting), for the
   * heartbeat. In-process connections (local-socket.ts) are left out: the client socket they share is pinged itself.
   */
  visitSockets(visit: (ws: WsSocket, onTimeout: () => void) => void): void {
    for (const accepted of [this.connections.values(), this.#starting.values()]) {
      for (const { ws } of accepted) if (ws instanceof WebSocket) visit(ws, this.heartbeatTimedOut);
    }
  }

  /** No connection, nothing in flight, no pending alarm: the registry may unload it. */
  isIdle(): boolean {
    return this.isAtRest() && !this.deps.alarmPending();
  }

  /** No connection, nothing in flight: what it keeps in memory is stored (a pending alarm aside). */
  isAtRest(): boolean {
    return this.connections.size === 0 && this.#busy === 0 && this.#inbox.size === 0;
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  /** Runs `onRequest`; a throw becomes a generic 500 (the stack goes to the log only). */
  async request(req: Request): Promise<Response> {
    return this.#whileBusy(async () => {
      const server = await this.#ready().catch((error: unknown) => {
        if (error instanceof RoomStopped) throw error;
        return undefined;
      });
      if (!server) return runtimeErrorResponse(new RuntimeError("ERR_START_FAILED", "The room could not start; try again", 503));
      if (!server.onRequest) return errorResponse("ERR_NO_HANDLER", `Party "${this.party}" does not answer HTTP requests`, 404);
      try {
        const response = await callUser(() => server.onRequest!(req));
        if (!(response instanceof Response)) throw new TypeError("onRequest must return a Response");
        return response;
      } catch (error) {
        return hookThrowResponse(this.deps.logger, req.url, error, (retryCode) =>
          retryCode
            ? this.#log("warn", "room.request_unavailable", error, { code: retryCode, hook: "onRequest", url: req.url })
            : this.#log("error", "room.request_failed", error, { code: "ERR_INTERNAL", hook: "onRequest", url: req.url }),
        );
      }
    });
  }

  // ---- WebSocket -------------------------------------------------------------------------------

  /**
   * Takes an upgraded socket (`url` is its request's, `ctx` what `onConnect` gets): start, tags, replacement of a
   * same-id connection, `onConnect`, then messages. Returns the connection, or undefined when the room is full.
   *
   * While the room is open (started; no `blockConcurrencyWhile` callback, storage read or other event in its way) and
   * the party has no `getConnectionTags` — every connect to a running Yjs room — the connection joins before this
   * returns: `onConnect` runs to its first await with no promise, closure or event-loop turn of the runtime's in
   * between, so what it sends first leaves with the socket's first bytes (see upgrade-handler.ts). Otherwise it waits
   * for the room's turn, its frames held meanwhile.
   */
  accept(ws: WsSocket, url: URL, ctx: ConnectionContext): RoomConnection | undefined {
    // Counted with the connections still starting: clients that arrive together while the room starts, and
    // in-process connections (which no upgrade check sees), cannot take it past the limit.
    if (this.connections.size + this.#starting.size >= this.deps.limits.maxConnectionsPerRoom) {
      ws.on("error", ignoreError); // no connection listens to it
      ws.resume(); // read the client's answer to the close
      releaseFirstWrite(); // the close frame goes after the upgrade's answer
      ws.close(CloseCode.TryAgainLater, "Room is full; try again later");
      return undefined;
    }
    // (`searchParams` is made on first use: most sockets have no query.)
    const id = (url.search !== "" && (url.searchParams.get("_pk") || url.searchParams.get("id"))) || newConnectionId();
    const connection = new RoomConnection(id, url.href, ws, this);
    this.#unloadWhenIdle = false; // the party may keep things for connections
    connection.listen();
    if (ws.isPaused) ws.resume();
    const server = this.#server;
    // Nothing runs between the gate's answer and onConnect's first await: no turn to claim (see InputGate.whenOpen).
    if (server !== undefined && !server.getConnectionTags && this.#gate.open) this.#join(connection, server, ctx, NO_USER_TAGS);
    else void this.#joinInTurn(connection, ctx);
    return connection;
  }

  /**
   * Takes a connection the room's previous instance stopped before it started (see HandedConnection): it joins in
   * turn, its frames are delivered after its `onConnect`, and its `onClose` follows them once its socket has closed.
   */
  adopt(handed: HandedConnection): void {
    // Its socket still reports to the connection it left (never listened to here): that one tells `handed`.
    const connection = new RoomConnection(handed.id, handed.uri, handed.ws, this);
    this.#unloadWhenIdle = false;
    void this.#joinInTurn(connection, handed.ctx, handed.frames);
    handed.onClosed((code, reason) => this.#closed(connection, code, reason));
  }

  /** Waits for the room's turn (its start, a blockConcurrencyWhile callback, a storage read) and tags, then joins. */
  async #joinInTurn(connection: RoomConnection, ctx: ConnectionContext, handedFrames?: Frame[]): Promise<void> {
    // Frames arriving meanwhile wait, so `onConnect` always runs before `onMessage`.
    this.#inbox.hold(connection, handedFrames);
    this.#starting.add(connection);
    this.#busy++;
    try {
      let server: Server;
      try {
        server = await this.#ready();
      } catch (error) {
        if (error instanceof RoomStopped) return this.#handOver(connection, ctx); // the stop closed it already
        const code = error instanceof StorageError ? CloseCode.TryAgainLater : CloseCode.InternalError;
        connection.close(code, "The room could not start");
        const lost = this.#inbox.take(connection);
        // A connection handed over by a stopped instance (a `dev` reload) carried what its client sent: say it is lost,
        // as a handover the server's shutdown ends does (room.start_failed alone does not tell).
        const reason = error instanceof StorageError ? error.code : "ERR_START_FAILED";
        if (handedFrames) this.#log("warn", "connection.handover_failed", error, { code: reason, connection: connection.id, lostMessages: lost.length });
        return;
      }
      // A client that closed meanwhile still gets onConnect, its frames and onClose (what it sent is not lost); one the
      // server closed meanwhile (refused, replaced) gets nothing more.
      if (connection.closedByServer) return this.#inbox.drop(connection);
      let tags: unknown = NO_USER_TAGS;
      try {
        if (server.getConnectionTags) tags = await callUser(() => server.getConnectionTags!(connection.asParty(), ctx));
      } catch (error) {
        return this.#fault(connection, error, "getConnectionTags");
      }
      // The room stopped meanwhile (it closed it, unless its client had): the next instance connects it.
      if (this.#stopped) return this.#handOver(connection, ctx);
      if (connection.closedByServer) return this.#inbox.drop(connection);
      this.#join(connection, server, ctx, tags);
    } finally {
      this.#starting.delete(connection);
      this.#idleAgain();
    }
  }

  /**
   * Its turn: tags, replacement of a same-id connection, `onConnect`. Its frames (held if it waited) flow once
   * `onConnect` has settled, or once it has been called when the server holds early frames itself; the room is not
   * idle while an async `onConnect` runs.
   */
  #join(connection: RoomConnection, server: Server, ctx: ConnectionContext, userTags: unknown): void {
    let tags: string[] | undefined;
    try {
      tags = prepareTags(connection.id, userTags);
    } catch (error) {
      return this.#fault(connection, error, "getConnectionTags");
    }
    const replaced = this.connections.add(connection);
    this.#starting.delete(connection); // counted as a connection from here
    // One whose socket is closing already (its client left; the stop of a previous instance closed it) is no rival:
    // it leaves with its frames and onClose still to come, which a 4009 would drop.
    if (replaced?.readyState === RoomConnection.OPEN) replaced.close(CloseCode.Replaced, "Replaced by a newer connection with the same id");
    connection.connect(tags);
    let connecting: unknown;
    try {
      connecting = server.onConnect?.(connection.asParty(), ctx);
    } catch (error) {
      connection.connectSettled();
      return this.#fault(connection, error, "onConnect");
    }
    const holdsItself = server.options?.holdMessagesUntilConnected === false;
    if (!isThenable(connecting) || holdsItself) {
      this.#inbox.release(connection);
      // A server that takes frames while its onConnect runs may be waiting for them (a token sent first; the Yjs party
      // answers a client's sync step 1 from the stored bytes while its document loads): its client gets the 101 now,
      // as it can send nothing before.
      connection.connectSettled();
    }
    if (!isThenable(connecting)) return;
    // No frame can have arrived since the call began: holding from here holds them all.
    if (!holdsItself && !this.#inbox.has(connection)) this.#inbox.hold(connection);
    this.#busy++;
    Promise.resolve(connecting).then(
      () => {
        connection.connectSettled(); // its first write (the 101 and what onConnect sent), if held, goes
        if (!holdsItself) this.#inbox.release(connection);
        this.#idleAgain();
      },
      (error: unknown) => {
        connection.connectSettled();
        this.#fault(connection, error, "onConnect");
        this.#idleAgain();
      },
    );
  }

  /** Every frame passes here: no closure, promise or event is made unless a listener or an async hook needs it. */
  #deliver(connection: RoomConnection, frame: Frame): void {
    if (connection.closedByServer) return; // the rest of a batch after a fault closed it
    if (connection.hasListeners("message")) connection.notify(messageEvent(frame));
    const server = this.#server;
    if (!server?.onMessage) return;
    let result: unknown;
    try {
      result = server.onMessage(frame, connection.asParty());
    } catch (error) {
      return this.#messageFailed(connection, error, "onMessage");
    }
    if (isThenable(result)) {
      // The room is not idle (and may not unload) while the handler still runs.
      this.#busy++;
      Promise.resolve(result)
        .catch((error: unknown) => this.#messageFailed(connection, error, "onMessage"))
        .finally(() => this.#idleAgain());
    }
  }

  /**
   * The room stopped before `connection` joined it: what its client sent meanwhile (and its close, if it closed) goes to
   * the next instance, unless the server closed it for good. One whose client has sent nothing read yet goes only if a
   * frame in flight at the stop arrives (#handOnFrame); otherwise its client was told by the stop's close.
   */
  #handOver(connection: RoomConnection, ctx: ConnectionContext): void {
    const close = this.#takePendingClose(connection);
    const frames = this.#inbox.take(connection);
    if (connection.discardsInput) return;
    const handed = new HandedConnection(connection.id, connection.uri, connection.ws, ctx, frames);
    if (close) handed.closed(close.code, close.reason);
    else this.#handedOver.set(connection, handed);
    if (frames.length > 0 || close) this.deps.handOver(handed);
    else this.#handOnFrame.add(connection);
  }

  #closed(connection: RoomConnection, code: number, reason: string): void {
    const handed = this.#handedOver.get(connection);
    if (handed) {
      this.#handedOver.delete(connection);
      if (this.#handOnFrame.delete(connection)) return; // it sent nothing: no instance takes it
      return handed.closed(code, reason);
    }
    // Frames it sent before closing are delivered first; the close follows once they are (#inboxDone).
    if (this.#inbox.has(connection) && !connection.closedByServer) {
      this.#pendingCloses.set(connection, { code, reason });
      return;
    }
    this.#inbox.drop(connection);
    this.#finishClose(connection, code, reason);
  }

  #inboxDone(connection: RoomConnection): void {
    const pending = this.#takePendingClose(connection);
    if (pending) this.#finishClose(connection, pending.code, pending.reason);
    this.deps.mayBeIdle(this);
  }

  #takePendingClose(connection: RoomConnection): { code: number; reason: string } | undefined {
    const pending = this.#pendingCloses.get(connection);
    if (pending === undefined) return undefined;
    this.#pendingCloses.delete(connection);
    if (this.#pendingCloses.size === 0) this.#noPendingCloses?.();
    return pending;
  }

  #finishClose(connection: RoomConnection, code: number, reason: string): void {
    this.connections.delete(connection);
    if (connection.connected) {
      connection.connected = false; // one onClose
      const hook = this.#closeHooks(connection, code, reason);
      this.#closingHooks.add(hook);
      void hook.finally(() => {
        this.#closingHooks.delete(hook);
        this.deps.mayBeIdle(this);
      });
    }
    this.deps.mayBeIdle(this);
  }

  /** `onClose` and close listeners, as an event like any other: through the input gate. */
  async #closeHooks(connection: RoomConnection, code: number, reason: string): Promise<void> {
    if (!this.#gate.open) await this.#gate.whenOpen().catch(() => {});
    // Legacy rooms flush from close listeners (y-partykit's onConnect): wait for them like for onClose.
    const listeners = connection.hasListeners("close") ? connection.notify(closeEvent(code, reason, code !== 1006)) : undefined;
    const server = this.#server;
    const onClose = callUser(() => server?.onClose?.(connection.asParty(), code, reason, code !== 1006)).catch((error) =>
      this.#log("error", "room.hook_failed", error, { code: "ERR_HOOK_FAILED", hook: "onClose", connection: connection.id }),
    );
    await (listeners ? Promise.all([listeners, onClose]) : onClose);
  }

  #socketError(connection: RoomConnection, error: Error): void {
    const code = (error as { code?: string }).code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? "ERR_MESSAGE_TOO_BIG" : "ERR_SOCKET";
    this.#log("warn", "connection.error", error, { code, connection: connection.id });
    this.#reportError(connection, Object.assign(asError(error), { code }));
  }

  /**
   * A message's handler threw: logged with the room and the connection, which stays open and gets its next frames (as
   * on PartyKit and partyserver, which only log it); a server with `options.closeOnMessageError` has it closed (#fault).
   */
  #messageFailed(connection: RoomConnection, error: unknown, hook: string): void {
    if (this.#server?.options?.closeOnMessageError) return this.#fault(connection, error, hook);
    // The connection stays open, so a client may repeat what fails at wire speed: repeats are counted, not each logged.
    const { log, repeated } = this.#messageFailures.admit(hook, error);
    if (!log) return;
    // A failure of the moment (a stub's call to a room that cannot be served now) is no fault of the code: warn, its code.
    const retry = retryableIn(error);
    this.#log(retry ? "warn" : "error", "room.hook_failed", error, {
      code: retry?.code ?? "ERR_HOOK_FAILED",
      hook,
      connection: connection.id,
      ...(repeated > 0 ? { repeated } : {}),
    });
  }

  /**
   * A hook threw for this connection: close it with 1011, tell `onError`, log the stack. A failure of the moment the hook
   * did not catch (a stub's call to a room that cannot be served now, the server shutting down: `retryableIn`) closes
   * it as a socket to that room would be, 1013 (or 1001) with why: its client retries, where 1011 says the code broke.
   */
  #fault(connection: RoomConnection, error: unknown, hook: string): void {
    const retry = retryableIn(error);
    this.#log(retry ? "warn" : "error", "room.hook_failed", error, { code: retry?.code ?? "ERR_HOOK_FAILED", hook, connection: connection.id });
    if (retry) connection.close(retryCloseCode(retry), fitCloseReason(retry.message));
    else connection.close(CloseCode.InternalError, "Internal error");
    // Its waiting frames go (a client that had already closed is then closed for the room too).
    this.#inbox.drop(connection);
    this.#reportError(connection, asError(error));
  }

  #reportError(connection: RoomConnection, error: Error): void {
    if (connection.hasListeners("error")) connection.notify(errorEvent(error));
    const server = this.#server;
    if (!server?.onError || !connection.connected) return;
    const connected = this.#gate.open ? Promise.resolve() : this.#gate.whenOpen().catch(() => {}); // through the input gate
    connected
      .then(() => callUser(() => server.onError!(connection.asParty(), error)))
      .catch((hookError: unknown) =>
        this.#log("error", "room.hook_failed", hookError, { code: "ERR_HOOK_FAILED", hook: "onError", connection: connection.id }),
      );
  }

  // ConnectionOwner
  frameReceived(connection: RoomConnection, data: Buffer, isBinary: boolean): void {
    if (this.deps.servedHere?.(this) === false) return; // its lease ran out: the room is closing (1013)
    const frame = !isBinary ? data.toString("utf8") : this.#server?.options?.binaryMessages === "uint8array" ? data : binaryFrame(data);
    // Handed to the next instance while its socket closes: what its client sent before it saw the stop's close goes too.
    if (connection.closedByServer && this.#handedOver.size > 0) {
      const handed = this.#handedOver.get(connection);
      if (handed) {
        handed.received(frame);
        if (this.#handOnFrame.delete(connection)) this.deps.handOver(handed);
        return;
      }
    }
    this.#inbox.receive(connection, frame);
  }
  socketClosed(connection: RoomConnection, code: number, reason: Buffer): void {
    this.#closed(connection, code, reason.toString("utf8"));
  }
  socketFailed(connection: RoomConnection, error: Error): void {
    this.#socketError(connection, error);
  }
  afterSend(connection: RoomConnection, unsent: number): void {
    this.deps.sendBudget.afterSend(connection, unsent);
  }
  sendBufferFull(connection: RoomConnection, limit: SendBufferLimit): void {
    const bufferedAmount = connection.bufferedAmount;
    this.#log("warn", "connection.send_buffer_full", undefined, { code: "ERR_SEND_BUFFER_FULL", connection: connection.id, bufferedAmount, limit });
    // The close frame queues behind the unread data; `ws` destroys the socket if the client never reads it.
    connection.closeAtOnce(CloseCode.SendBufferFull, "Send buffer full");
  }
  get frameBudget(): FrameBudget {
    return this.deps.frameBudget;
  }
  listenerFailed(connection: RoomConnection, error: unknown): void {
    this.#messageFailed(connection, error, "message listener");
  }
  incomingRefused(connection: RoomConnection, code: number, reason: string): void {
    const errorCode = code === CloseCode.MessageTooBig ? "ERR_MESSAGE_TOO_BIG" : "ERR_SERVER_BUSY";
    this.#log("warn", "connection.incoming_refused", undefined, { code: errorCode, connection: connection.id, limit: this.deps.limits.maxFrameBytesInFlight });
    connection.closeAtOnce(code, reason);
    this.#inbox.drop(connection); // what it sent is not delivered: its client was told to send it again
  }

  // ---- alarms, stop ----------------------------------------------------------------------------

  async alarm(): Promise<void> {
    await this.#whileBusy(async () => {
      const server = await this.#ready(); // RoomStopped: the next instance runs it
      await callUser(() => server.onAlarm?.()).catch((error) => {
        // Cut off by the stop (its storage refused): run again by the next instance, not counted as a failure.
        if (this.#stopped && error instanceof StorageError && error.code === "ERR_ROOM_STOPPED") throw new RoomStopped();
        // A failure of the moment (a stub's call to a room no node can serve now) is no fault of the code: a warning with
        // its code, as the scheduler judges it (alarms.ts defers the alarm, its retries intact), not a page every try.
        const moment = failureOfTheMoment(error);
        this.#log(moment ? "warn" : "error", "room.hook_failed", error, { code: moment?.code ?? "ERR_HOOK_FAILED", hook: "onAlarm" });
        throw error;
      });
    });
  }

  /**
   * Unloads the room: closes every connection with `closeCode`, waits (bounded) for the sockets and
   * their `onClose`, then awaits `onStop` so the room can flush.
   */
  async stop(closeCode: number, reason: string): Promise<void> {
    this.#stopped = true;
    for (const stopWaiting of [...this.#waitingForTurn]) stopWaiting();
    this.#waitingForTurn.clear();
    // The connections still joining too: one waiting for the room's turn would otherwise join the stopped instance.
    const sockets = [...this.connections.all(), ...this.#starting].map((connection) => ({
      ws: connection.ws,
      close: () => connection.close(closeCode, reason), // one its client closed already keeps what it sent
    }));
    await closeSocketsWithin(sockets, this.deps.limits.shutdownTimeoutMs);
    // Those a joined instance holds frames of (its onConnect runs): the frames, then onClose, come before onStop.
    if (this.#pendingCloses.size > 0) {
      const gone = new Promise<void>((resolve) => (this.#noPendingCloses = resolve));
      await settleWithin(gone, this.deps.limits.shutdownTimeoutMs);
    }
    // Bounded like the sockets: a close hook waits for the input gate, which a callback that never settles keeps shut.
    await settleWithin(Promise.allSettled([...this.#closingHooks]), this.deps.limits.shutdownTimeoutMs);
    await this.#storageOps.settled(this.deps.limits.shutdownTimeoutMs);
    // What libraries keep for the instance (a y-partykit document loaded by a request) goes with it, flushed first.
    await settleWithin(Promise.allSettled([...this.#stoppingHooks].map((hook) => callUser(hook))), this.deps.limits.shutdownTimeoutMs);
    if (this.#gate.started && this.#server?.onStop) {
      await callUser(() => this.#server!.onStop!()).catch((error) =>
        this.#log("error", "room.hook_failed", error, { code: "ERR_HOOK_FAILED", hook: "onStop" }),
      );
    }
    // onStop flushes through storage too (and may still send through a stub's socket).
    await this.#storageOps.settled(this.deps.limits.shutdownTimeoutMs);
    this.deps.stubSockets.close(closeCode, reason, true);
    this.#storageOps.stop(
      `room "${this.id}" of party "${this.party}" stopped (${reason}): this instance's storage calls are refused, another instance may hold the room now`,
    );
    this.deps.logger.debug("room.stopped", { party: this.party, room: this.id, reason });
  }

  // ---- internals -------------------------------------------------------------------------------

  /**
   * The started server once it is this event's turn; `RoomStopped` if the room stops first (a start that hangs), or
   * if its start failed because of the stop (its storage refused): the stop's, not the event's.
   */
  async #ready(): Promise<Server> {
    if (this.#stopped) throw new RoomStopped();
    try {
      if (this.#gate.open) await this.#gate.whenOpen();
      else await this.#untilTurnOrStop(this.#gate.whenOpen());
    } catch (error) {
      throw this.#stopped ? new RoomStopped() : error;
    }
    if (this.#stopped) throw new RoomStopped();
    return this.#server!;
  }

  /** `turn`, or RoomStopped when the room stops first. Each waiter its own entry, gone once its turn comes. */
  #untilTurnOrStop(turn: Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const stopped = () => reject(new RoomStopped());
      this.#waitingForTurn.add(stopped);
      turn.then(resolve, reject).finally(() => this.#waitingForTurn.delete(stopped));
    });
  }

  async #start(): Promise<void> {
    try {
      this.#server ??= this.deps.definition.createServer(this.room);
      await callUser(() => this.#server!.onStart?.());
    } catch (error) {
      const code = error instanceof StorageError ? error.code : "ERR_START_FAILED";
      this.#log("error", "room.start_failed", error, { code });
      throw error;
    }
  }

  async #whileBusy<T>(fn: () => Promise<T>): Promise<T> {
    this.#busy++;
    try {
      return await fn();
    } finally {
      this.#idleAgain();
    }
  }

  /** One piece of work the room was busy with ended. */
  #idleAgain(): void {
    this.#busy--;
    this.deps.mayBeIdle(this);
  }

  #log(level: "warn" | "error", event: string, error: unknown, fields: Record<string, unknown>): void {
    const code = fields.code ?? codeOf(error, "ERR_INTERNAL");
    this.deps.logger[level](event, { ...fields, code, party: this.party, room: this.id, ...(error === undefined ? {} : { error: asError(error) }) });
  }
}
