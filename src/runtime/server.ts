/**
 * `createServer`: one Node HTTP server with `ws` (noServer) for upgrades, serving every party's rooms
 * at `/parties/{party}/{room}` and `/party/{room}` (party "main"), plus `routes` for other paths.
 */
import { setMaxListeners } from "node:events";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { WebSocketServer } from "./ws.js";
import { MemoryStorage } from "../../persistence/storage-memory.js";
import type { PostgresStorageOptions } from "../../persistence/pg/storage.js";
import type { StorageProgress } from "../../persistence/progress.js";
import type { Storage } from "../../persistence/types.js";
import { CloseCode } from "../protocol/index.js";
import { ALARMS_KV_NAME, AlarmScheduler } from "./alarms.js";
import { storageName } from "./room-names.js";
import { BodyBudget, type BodyLimits } from "./request-body.js";
import { FrameBudget } from "./frame-budget.js";
import { PartyContext, type AssetHandler } from "./context.js";
import type { RouteHandler as CoreRouteHandler, Reload, ReloadListener, ServerCore } from "./core.js";
import { RuntimeError, codeOf, unknownPartyError } from "./errors.js";
import { trustedProxyCount, type TrustProxy } from "./client-address.js";
import { CronScheduler } from "./crons.js";
import { durabilityOf, type Durability } from "./document-storage.js";
import { callUser, settleWithin } from "./guard.js";
import { Heartbeat } from "./heartbeat.js";
import { handleConnect, handleExpectContinue, handleHttp, requestRoom } from "./http-handler.js";
import type { RoomPlacement } from "./placement.js";
import { DEFAULT_HOST, DEFAULT_PERSIST_DIR, DEFAULT_PORT } from "./defaults.js";
import { resolveLimits, type Limits } from "./limits.js";
import { createLogger, type Logger } from "./log.js";
import { definePartyFromModule, type PartyDefinition, type PartyModule } from "./party-module.js";
import { RawSockets } from "./raw-sockets.js";
import { RoomRegistry } from "./registry.js";
import { SendBudget } from "./send-budget.js";
import type { Cron } from "./party-types.js";
import { listRooms, type RoomListing } from "./listing.js";
import type { HandedConnection } from "./handed-connection.js";
import { RequestScope } from "./request-scope.js";
import { LiveRoom } from "./room.js";
import { MAIN_PARTY } from "./routing.js";
import { handleUpgrade } from "./upgrade-handler.js";
import { provideUrlPattern } from "./url-pattern.js";
import type { SocketHandler } from "./socket-mounts.js";

/** For paths outside `/parties/` and `/party/`, consulted in order; the first Response wins. */
export type RouteHandler<S = YpartyServer> = CoreRouteHandler<S>;

export interface CreateServerOptions {
  parties: Record<string, PartyModule>;
  /** Default 1999; 0 = any free port. */
  port?: number;
  /** Default "127.0.0.1". */
  host?: string;
  /** Default `{ dir: ".yparty" }`; `false` keeps everything in memory. */
  persist?: { dir: string } | false;
  /**
   * A PostgreSQL database instead of a LevelDB folder: `"postgres://user:password@host:5432/db"`, or the URL with the
   * storage's `mode` (`"standalone"`, the default, or `"cluster"`), `owner`, `sharedRooms` and `queryTimeoutMs`
   * (docs/persistence.md, "PostgreSQL"). Cannot be given with `persist`.
   */
  store?: string | Pick<PostgresStorageOptions, "url" | "password" | "mode" | "owner" | "sharedRooms" | "queryTimeoutMs">;
  /** An already opened storage; wins over `persist` and `store`. The caller closes it. */
  storage?: Storage;
  /** `room.env` and `lobby.env`. */
  vars?: Record<string, unknown>;
  logger?: Logger;
  limits?: Partial<Limits>;
  routes?: RouteHandler[];
  /**
   * PartyKit's `crons`: name → cron expression (UTC, five fields; a sixth in front for seconds). Each runs the
   * `main` party's static `onCron`. An expression that cannot run throws `ERR_INVALID_CRON` here.
   */
  crons?: Record<string, string>;
  /**
   * Whether `GET /parties/{party}` lists the party's rooms to anyone who asks. Default: the parties that guard no
   * access (no `onBeforeConnect`, no `onBeforeRequest`; the demo's room picker uses it); a guarded party's room names
   * are not public, since its hooks cannot guard a listing of every room. `true` lists every party, `false` none (404).
   */
  listRooms?: boolean;
  /** The static assets (the CLI's `serve` folder): served after `routes`, and to `lobby.assets.fetch(path)`. */
  assets?: AssetHandler;
  /**
   * Behind a reverse proxy: the client's address (`cf-connecting-ip`, `x-forwarded-for` in user code) is taken from
   * the `x-forwarded-for` the proxy appended to, `true` for one proxy, a number for that many. Default false: the
   * socket's address, and whatever a client sends in those headers is overwritten.
   */
  trustProxy?: TrustProxy;
  /**
   * When a change of a shared document (the Yjs parties) reaches the other collaborators: `"fast"` (default) as soon
   * as it is applied; `"strict"` only once it is stored, so a crash never takes back what anyone saw. A party may set
   * its own (`static durability`, the `durability` option of y-partykit's `onConnect`).
   */
  durability?: Durability;
  /**
   * Limits of the Yjs parties for the whole server, by name (docs/yjs.md#limits-and-defaults): `maxBatchBytes`,
   * `maxHttpUpdateBytes`, `maxBacklogFrames`, `maxUpdateStructs`. The runtime passes them on; the Yjs layer checks them.
   */
  documentLimits?: Record<string, number>;
  /** Exact paths (e.g. `"/rooms"`) whose WebSockets go to a handler, which may open in-process connections to rooms. */
  sockets?: Record<string, SocketHandler>;
  /**
   * One node of several (src/cluster): where each room is served. Rooms served elsewhere are forwarded to their owner;
   * crons run on one node; stored alarms are woken by one node. Default: every room is served here.
   */
  placement?: RoomPlacement;
}

export interface LiveRoomInfo {
  party: string;
  id: string;
  connections: number;
}

export interface YpartyServer {
  listen(): Promise<{ port: number; host: string }>;
  /** The bound port after `listen()` (the requested one before). */
  readonly port: number;
  /** `http://HOST:PORT` */
  readonly url: string;
  /** Graceful: stop accepting, close sockets with 1001, `onStop` every room, close the storage it opened. */
  close(): Promise<void>;
  readonly storage: Storage;
  readonly logger: Logger;
  readonly limits: Readonly<Limits>;
  rooms(): LiveRoomInfo[];
  /** Rooms that are live or stored (or one party's), with their connections and stored size; sorted. */
  roomListing(party?: string): Promise<RoomListing[]>;
  /**
   * Unloads a live room now if it is idle (no connection, request or alarm in flight), after its `onStop`
   * flushed it; true when it is (or already was) not loaded. For operations that need the room at rest.
   */
  unloadIfIdle(party: string, roomId: string): Promise<boolean>;
  /**
   * Deletes a room's stored data (its document, key-value data and alarm) with the room at rest: a loaded room nobody
   * uses is unloaded first, and it is not loaded again until the delete is done (a request meanwhile waits, then finds
   * nothing). `{ existed }` (whether it had any), or undefined while it is in use (a connection, a request in flight).
   */
  deleteRoomData(party: string, roomId: string): Promise<{ existed: boolean } | undefined>;
  /**
   * `yparty dev`: close every connection with 1012 (the party code's sockets outside rooms too: `onSocket`'s,
   * `WebSocketPair` ends), unload every room (awaiting `onStop`), swap the parties.
   */
  reload(parties: Record<string, PartyModule>): Promise<void>;
}

export { DEFAULT_HOST, DEFAULT_PERSIST_DIR, DEFAULT_PORT } from "./defaults.js";

export function createServer(options: CreateServerOptions): YpartyServer {
  provideUrlPattern();
  return new Server(options);
}

class Server implements YpartyServer, ServerCore {
  readonly limits: Limits;
  readonly logger: Logger;
  readonly parties = new Map<string, PartyDefinition>();
  readonly registry: RoomRegistry;
  readonly partyContext: PartyContext;
  readonly heartbeat: Heartbeat;
  readonly sendBudget: SendBudget;
  readonly bodies: BodyLimits;
  readonly frameBudget: FrameBudget;
  readonly wss: WebSocketServer;
  readonly routes: CoreRouteHandler[];
  readonly rawSockets = new RawSockets();
  readonly reloads = new Set<ReloadListener>();
  readonly listsRooms: boolean | undefined;
  readonly servesAssets: boolean;
  readonly durability: Durability;
  readonly documentLimits: Readonly<Record<string, number>>;
  readonly trustedProxies: number;
  readonly sockets: ReadonlyMap<string, SocketHandler>;
  readonly publicServer = this;
  readonly placement: RoomPlacement | undefined;
  readonly #http: HttpServer;
  readonly #host: string;
  #port: number;
  #storage: Storage | undefined;
  readonly #ownsStorage: boolean;
  #alarms: AlarmScheduler | undefined;
  readonly #crons: CronScheduler;
  #state: "new" | "listening" | "closing" | "closed" = "new";
  #closing: Promise<void> | undefined;
  readonly #stop = new AbortController();
  /**
   * Many wait on it at once, each until its own end (a body drained after its answer, a match whose seats are being
   * stored): Node's "possible leak" warning past 10 listeners does not apply.
   */
  readonly stopping = withoutListenerWarning(this.#stop.signal);

  constructor(private readonly options: CreateServerOptions) {
    this.limits = resolveLimits(options.limits);
    this.logger = options.logger ?? createLogger();
    this.#host = options.host ?? DEFAULT_HOST;
    this.#port = options.port ?? DEFAULT_PORT;
    this.#storage = options.storage;
    this.#ownsStorage = !options.storage;
    this.routes = [...(options.routes ?? []), ...(options.assets ? [options.assets] : [])] as CoreRouteHandler[];
    this.listsRooms = options.listRooms;
    this.servesAssets = options.assets !== undefined;
    this.durability = durabilityOf(options.durability);
    this.documentLimits = Object.freeze({ ...options.documentLimits });
    this.trustedProxies = trustedProxyCount(options.trustProxy);
    this.sockets = new Map(Object.entries(options.sockets ?? {}));
    this.placement = options.placement;
    this.partyContext = new PartyContext(
      { fetchRoom: (party, id, req) => requestRoom(this, party, id, req), baseUrl: () => this.url },
      options.vars ?? {},
      this.logger,
      options.assets,
    );
    this.#setParties(options.parties);
    this.#crons = new CronScheduler(options.crons ?? {}, (cron) => this.#runCron(cron), this.logger);
    this.registry = new RoomRegistry(
      (party, id) => this.#createRoom(party, id),
      () => this.limits,
      this.placement,
    );
    this.heartbeat = new Heartbeat(this.limits.heartbeatIntervalMs, this.limits.heartbeatTimeoutMs, (visit) => {
      for (const room of this.registry.rooms()) room.visitSockets(visit);
      this.rawSockets.visit(visit);
    });
    this.sendBudget = new SendBudget(this.limits);
    this.bodies = { budget: new BodyBudget(this.limits.maxBodyBytesInFlight), idleTimeoutMs: this.limits.bodyIdleTimeoutMs };
    this.frameBudget = new FrameBudget(this.limits.maxFrameBytesInFlight);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.limits.maxMessageBytes, clientTracking: false, perMessageDeflate: false });
    this.#http = createHttpServer((req, res) => void handleHttp(this, req, res));
    this.#http.on("checkContinue", (req, res) => void handleExpectContinue(this, req, res));
    this.#http.on("upgrade", (req, socket, head) => handleUpgrade(this, req, socket, head));
    this.#http.on("connect", (req, socket) => handleConnect(this, req, socket));
    // Unparseable HTTP: answer 400 when the socket still can, never let it throw.
    this.#http.on("clientError", (_error, socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      else socket.destroy();
    });
  }

  get port(): number {
    return this.#port;
  }
  get url(): string {
    return `http://${this.#host.includes(":") ? `[${this.#host}]` : this.#host}:${this.#port}`;
  }
  get storage(): Storage {
    if (!this.#storage) throw new RuntimeError("ERR_NOT_LISTENING", "The storage opens in listen(); it is not open yet");
    return this.#storage;
  }
  openedStorage(): Storage {
    return this.storage;
  }
  accepting(): boolean {
    return this.#state === "listening";
  }
  authority(): string {
    return `${this.#host}:${this.#port}`;
  }

  async listen(): Promise<{ port: number; host: string }> {
    if (this.#state !== "new") throw new Error("listen() was already called");
    this.#state = "closed"; // until it listens: a failed listen() is not retried
    this.#storage ??= await this.#openStorage();
    const retry = { retries: this.limits.alarmRetries, baseMs: this.limits.alarmRetryBaseMs };
    const mayFire = this.placement ? async (party: string, id: string) => (await this.registry.locate(party, id)) === undefined : undefined;
    const records = this.placement?.alarmRecords(this.#storage) ?? this.#storage.kv(ALARMS_KV_NAME);
    this.#alarms = new AlarmScheduler(records, (party, id, stillDue) => this.#fireAlarm(party, id, stillDue), this.logger, retry, mayFire);
    try {
      await new Promise<void>((resolve, reject) => {
        this.#http.once("error", reject);
        this.#http.listen(this.#port, this.#host, () => {
          this.#http.off("error", reject);
          resolve();
        });
      });
    } catch (error) {
      // EADDRINUSE and friends: release the folder we opened, keep the error's own code.
      if (this.#ownsStorage) {
        await this.#storage.close();
        this.#storage = undefined;
      }
      throw error;
    }
    const address = this.#http.address();
    if (address && typeof address === "object") this.#port = address.port;
    this.#state = "listening";
    this.heartbeat.start();
    this.#crons.start();
    if (this.#crons.names.length > 0 && !this.parties.get(MAIN_PARTY)?.onCron) {
      this.logger.warn("cron.no_handler", {
        message: `crons ${this.#crons.names.join(", ")} are set, but the main party has no static onCron: they do nothing`,
      });
    }
    // In a cluster, stored alarms are woken by the node the placement picks (wakeAlarms), and each room's by its owner.
    const restored = this.placement ? 0 : await this.#restoreAlarms();
    this.placement?.attach({
      lose: (party, roomId) => this.registry.lose(party, roomId),
      wakeAlarms: () => this.#restoreAlarms(),
    });
    this.logger.info("server.listening", { url: this.url, storage: this.#storage.location, alarms: restored });
    return { port: this.#port, host: this.#host };
  }

  /**
   * Re-arms the stored alarms. Storage that cannot list them (a damaged table) is reported, and the server serves
   * every room all the same: refusing to start would take the intact rooms down with the damaged ones.
   */
  async #restoreAlarms(): Promise<number> {
    try {
      return await this.#alarms!.restore();
    } catch (error) {
      // Cluster: the alarm index in Redis could not be read now (placement.ts); the leader reads it again next tick.
      if (error instanceof RuntimeError && error.status === 503) {
        this.logger.warn("alarm.restore_failed", { code: error.code, error, message: `${error.message}: stored alarms are woken at a later try` });
        return 0;
      }
      this.logger.error("alarm.restore_failed", {
        code: codeOf(error, "ERR_STORAGE_READ"),
        error,
        message: `Stored alarms could not be read from ${this.#storage!.location}: none will fire until the server restarts on readable storage. Stop the server and run yparty doctor.`,
      });
      return 0;
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const wasListening = this.#state === "listening";
    this.#state = "closing";
    this.#stop.abort();
    const httpClosed = wasListening ? new Promise<void>((resolve) => this.#http.close(() => resolve())) : Promise.resolve();
    this.#http.closeIdleConnections();
    // Bounded: an alarm firing may wait for a room that never starts, or run an onAlarm that never settles.
    await settleWithin(Promise.all([this.#alarms?.stop(), this.#crons.stop()]), this.limits.shutdownTimeoutMs);
    this.placement?.closing?.();
    const rawSocketsClosed = this.rawSockets.close(CloseCode.GoingAway, "Server shutting down", this.limits.shutdownTimeoutMs);
    await this.registry.close(CloseCode.GoingAway, "Server shutting down");
    await rawSocketsClosed;
    // After the rooms (each closes its own after its onStop, which may still send through them): what workers opened.
    this.partyContext.closeStubSockets(CloseCode.GoingAway, "Server shutting down");
    this.heartbeat.stop();
    // Bounded: a ctx.waitUntil promise that never settles must not keep the server from closing.
    await settleWithin(this.partyContext.settle(), this.limits.shutdownTimeoutMs);
    this.#http.closeIdleConnections();
    await settleWithin(httpClosed, this.limits.shutdownTimeoutMs);
    this.#http.closeAllConnections();
    if (this.#ownsStorage) await this.#storage?.close();
    this.#state = "closed";
    this.logger.info("server.closed", {});
  }

  rooms(): LiveRoomInfo[] {
    return this.registry.list().map((room) => ({ party: room.party, id: room.id, connections: room.connections.size }));
  }

  roomListing(party?: string): Promise<RoomListing[]> {
    return listRooms(this.registry, this.storage, this.logger, party);
  }

  async unloadIfIdle(party: string, roomId: string): Promise<boolean> {
    const room = this.registry.get(party, roomId);
    return room === undefined || this.registry.unloadIfIdle(room);
  }

  deleteRoomData(party: string, roomId: string): Promise<{ existed: boolean } | undefined> {
    return this.registry.whileAtRest(party, roomId, async () => {
      const name = storageName(party, roomId);
      const { docs } = this.storage;
      const kv = this.storage.kv(name);
      const alarm = this.#alarms?.forRoom(party, roomId);
      const existed = (await docs.stats(name)).updates > 0 || (await kv.list({ limit: 1 })).size > 0 || ((await alarm?.get()) ?? null) !== null;
      await docs.delete(name);
      await kv.deleteAll();
      await alarm?.delete(); // else it would run the room again, on nothing
      return { existed };
    });
  }

  async reload(parties: Record<string, PartyModule>): Promise<void> {
    // Swap first (it throws on a bad module before anything is touched): clients reconnecting while the
    // old rooms stop must get fresh rooms running the new code.
    this.#setParties(parties);
    const oldStubSockets = this.partyContext.reloaded();
    let ended!: () => void;
    this.#tellReload({ parties, done: new Promise<void>((resolve) => (ended = resolve)) });
    try {
      // The old code's sockets outside rooms (onSocket's, WebSocketPair ends) go with it, told as the rooms' are.
      const reason = "Server code reloaded";
      await Promise.all([
        this.rawSockets.close(CloseCode.ServiceRestart, reason, this.limits.shutdownTimeoutMs, "party"),
        this.registry.unloadAll(CloseCode.ServiceRestart, reason),
      ]);
      // What the old code's workers opened (one still connecting too), after the rooms closed theirs past their onStop.
      oldStubSockets.close(CloseCode.ServiceRestart, reason, true);
      this.logger.info("server.reloaded", { parties: [...this.parties.keys()] });
    } finally {
      ended();
    }
  }

  /** The mounted protocols' listeners (`SocketHost.onReload`); one that throws is logged, the others still hear it. */
  #tellReload(reload: Reload): void {
    for (const listener of this.reloads) {
      try {
        listener(reload);
      } catch (error) {
        this.logger.error("server.reload_listener_failed", { code: "ERR_HOOK_FAILED", error });
      }
    }
  }

  #setParties(parties: Record<string, PartyModule>): void {
    const next = new Map(Object.entries(parties).map(([name, module]) => [name, definePartyFromModule(module)] as const));
    this.parties.clear();
    for (const [name, definition] of next) this.parties.set(name, definition);
    this.partyContext.setPartyNames([...this.parties.keys()]);
  }

  #createRoom(party: string, roomId: string): LiveRoom {
    const definition = this.parties.get(party);
    if (!definition || !this.#storage || !this.#alarms) throw unknownPartyError(party, this.parties.keys());
    const alarms = this.#alarms;
    // Cluster: the room's alarm is armed by the node that claimed it (alarms fire on a room's current owner).
    if (this.placement) {
      alarms
        .restoreRoom(party, roomId)
        .catch((error) => this.logger.error("alarm.restore_failed", { code: codeOf(error, "ERR_STORAGE_READ"), party, room: roomId, error }));
    }
    // Its stubs' sockets end with the instance (closed after its onStop).
    const stubSockets = this.partyContext.stubScope();
    return new LiveRoom({
      party,
      roomId,
      definition,
      env: this.partyContext.env,
      storage: this.#storage,
      alarm: alarms.forRoom(party, roomId),
      alarmPending: () => alarms.isPending(party, roomId),
      context: this.partyContext.roomContext(stubSockets),
      stubSockets,
      limits: this.limits,
      durability: this.durability,
      documentLimits: this.documentLimits,
      logger: this.logger,
      serverStopping: this.stopping,
      sendBudget: this.sendBudget,
      frameBudget: this.frameBudget,
      mayBeIdle: (room) => this.registry.mayBeIdle(room),
      handOver: (handed) => this.#handOver(party, roomId, handed),
      servedHere: this.placement ? (room) => this.registry.servedHere(room) : undefined,
    });
  }

  /** A connection the stopped instance of a room had not started for: the next instance takes it (see HandedConnection). */
  #handOver(party: string, roomId: string, handed: HandedConnection): void {
    this.registry
      .withRoom(party, roomId, (room) => room.adopt(handed))
      .catch((error: unknown) =>
        // The server is closing (or, in a cluster, the room moved to another node): no instance will run here.
        this.logger.warn("connection.handover_failed", {
          code: codeOf(error, "ERR_SHUTTING_DOWN"),
          party,
          room: roomId,
          connection: handed.id,
          lostMessages: handed.frames.length,
          error,
        }),
      );
  }

  async #runCron(cron: Cron): Promise<void> {
    const onCron = this.parties.get(MAIN_PARTY)?.onCron;
    if (!onCron) return;
    // A cluster runs each tick once, on one node.
    if (this.placement && !(await this.placement.claimCronTick(cron.name, cron.scheduledTime))) return;
    this.logger.debug("cron.run", { cron: cron.name });
    // What the run opens ends with it (and its waitUntil work), as a scheduled event's I/O on Workers.
    const scope = new RequestScope(this.partyContext, this.limits.waitUntilMs);
    try {
      await callUser(() => onCron(cron, scope.fetchLobby(), scope.executionContext()));
    } finally {
      scope.over("The cron run it was opened for ended");
    }
  }

  async #fireAlarm(party: string, roomId: string, stillDue: () => boolean): Promise<void> {
    if (!this.parties.has(party)) {
      this.logger.warn("alarm.unknown_party", { code: "ERR_UNKNOWN_PARTY", party, room: roomId });
      return;
    }
    await this.registry.withRoom(party, roomId, (room) => {
      if (stillDue()) return room.alarm();
      this.registry.mayBeIdle(room); // deleted while the room was held (its data deleted): not started, let go
    });
  }

  async #openStorage(): Promise<Storage> {
    const { store } = this.options;
    if (store !== undefined && this.options.persist !== undefined) {
      throw new TypeError('createServer: "store" and "persist" both say where the data lives; give one of them');
    }
    const persist = this.options.persist ?? { dir: DEFAULT_PERSIST_DIR };
    if (persist === false) return new MemoryStorage();
    // LevelDB, pg and their bindings load only for a server that stores there: a memory server starts without them.
    const { openStorage } = await import("../../persistence/index.js");
    // Damaged storage is logged as an error: an operator must act on it.
    const onWarning = (warning: { code: string; message: string; doc?: string; level?: "error" }) =>
      this.logger[warning.level ?? "warn"]("storage.warning", { code: warning.code, message: warning.message, doc: warning.doc });
    // Long work before the server listens (a format upgrade, another node's migration waited for): info lines, so a
    // start that takes a while is not taken for a hang.
    const onProgress = ({ task, stage, ...fields }: StorageProgress) => this.logger.info(`storage.${task}_${stage}`, fields);
    if (store !== undefined) return openStorage({ ...(typeof store === "string" ? { url: store } : store), onWarning, onProgress });
    return openStorage({ dir: persist.dir, onWarning, onProgress });
  }
}

function withoutListenerWarning(signal: AbortSignal): AbortSignal {
  setMaxListeners(0, signal);
  return signal;
}
