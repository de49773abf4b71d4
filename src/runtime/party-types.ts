/**
 * The PartyKit type surface, modelled on `partykit/server`'s own .d.ts (0.0.115) with the Cloudflare
 * types replaced by the WHATWG/DOM ones Node has. `import type * as Party from "yparty/server"` gives the
 * same names, so PartyKit code type-checks with only the import path changed.
 */

/** An incoming HTTP request: the WHATWG Request, typed the way Cloudflare's is. */
export interface Request extends globalThis.Request {
  json<T>(): Promise<T>;
  /** Cloudflare's request metadata; never set on Node. */
  readonly cf?: Record<string, unknown>;
}
type ReturnRequest = globalThis.Request;

export interface StorageGetOptions {
  allowConcurrency?: boolean;
  noCache?: boolean;
}
export interface StoragePutOptions {
  allowConcurrency?: boolean;
  allowUnconfirmed?: boolean;
  noCache?: boolean;
}
export interface StorageListOptions {
  start?: string;
  startAfter?: string;
  end?: string;
  prefix?: string;
  reverse?: boolean;
  limit?: number;
  allowConcurrency?: boolean;
  noCache?: boolean;
}
export interface StorageSetAlarmOptions {
  allowConcurrency?: boolean;
  allowUnconfirmed?: boolean;
}

/** The reads and writes shared by the storage and its transactions. */
export interface StorageKeyValue {
  get<T = unknown>(key: string, options?: StorageGetOptions): Promise<T | undefined>;
  get<T = unknown>(keys: string[], options?: StorageGetOptions): Promise<Map<string, T>>;
  list<T = unknown>(options?: StorageListOptions): Promise<Map<string, T>>;
  put<T>(key: string, value: T, options?: StoragePutOptions): Promise<void>;
  put<T>(entries: Record<string, T>, options?: StoragePutOptions): Promise<void>;
  delete(key: string, options?: StoragePutOptions): Promise<boolean>;
  delete(keys: string[], options?: StoragePutOptions): Promise<number>;
}

/** The transactional view handed to `storage.transaction(fn)`. */
export interface StorageTransaction extends StorageKeyValue {
  /** Nothing this transaction wrote lands; the closure's result is still returned. */
  rollback(): void;
  /** The alarm as this transaction sees it (its own change, if it made one). */
  getAlarm(options?: StorageGetOptions): Promise<number | null>;
  /** Sets the alarm when the transaction commits (not if it rolls back or throws). */
  setAlarm(scheduledTime: number | Date, options?: StorageSetAlarmOptions): Promise<void>;
  deleteAlarm(options?: StorageSetAlarmOptions): Promise<void>;
}

/** Per-room key-value storage (the Durable Object storage API). */
export interface Storage extends StorageKeyValue {
  deleteAll(options?: StoragePutOptions): Promise<void>;
  transaction<T>(closure: (txn: StorageTransaction) => Promise<T>): Promise<T>;
  /** The pending alarm's time (ms since epoch), or null. */
  getAlarm(options?: StorageGetOptions): Promise<number | null>;
  /** Stores the alarm (it survives a restart) and fires `onAlarm` once at `scheduledTime`. */
  setAlarm(scheduledTime: number | Date, options?: StorageSetAlarmOptions): Promise<void>;
  deleteAlarm(options?: StorageSetAlarmOptions): Promise<void>;
  /** Resolves when every earlier write is durable (they already are when they resolve). */
  sync(): Promise<void>;
}

/** Connection metadata only available when the connection is made. */
export type ConnectionContext = {
  request: Request;
};

export type Stub = {
  /** @deprecated Use `await socket()` instead */
  connect: () => WebSocket;
  socket(pathOrInit?: string | RequestInit): Promise<WebSocket>;
  socket(path: string, init?: RequestInit): Promise<WebSocket>;
  fetch(pathOrInit?: string | RequestInit | ReturnRequest): Promise<Response>;
  fetch(path: string, init?: RequestInit | ReturnRequest): Promise<Response>;
};

type AssetFetcher = {
  fetch(path: string): Promise<Response | null>;
};
export type AI = Record<string, never>;
type CustomBindings = {
  r2: Record<string, unknown>;
  kv: Record<string, unknown>;
};
/** Cloudflare Analytics Engine: accepted and ignored on Node. */
export type AnalyticsEngineDataset = {
  writeDataPoint(event?: unknown): void;
};

/** Additional information about other resources in the current project. */
export type Context = {
  /** Access other parties in this project (in-process on yparty). */
  parties: Record<string, { get(id: string): Stub }>;
  ai: AI;
  vectorize: Record<string, unknown>;
  assets: AssetFetcher;
  bindings: CustomBindings;
};

type LobbyBase = {
  env: Record<string, unknown>;
  ai: AI;
  parties: Context["parties"];
  vectorize: Context["vectorize"];
  analytics: AnalyticsEngineDataset;
  assets: AssetFetcher;
  bindings: CustomBindings;
};
export type FetchLobby = LobbyBase;
export type CronLobby = LobbyBase;
export type Lobby = LobbyBase & { id: string };

export type ExecutionContext = {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
};

type ImmutablePrimitive = undefined | null | boolean | string | number;
type Immutable<T> = T extends ImmutablePrimitive
  ? T
  : T extends Array<infer U>
    ? ReadonlyArray<Immutable<U>>
    : T extends Map<infer K, infer V>
      ? ReadonlyMap<Immutable<K>, Immutable<V>>
      : T extends Set<infer M>
        ? ReadonlySet<Immutable<M>>
        : { readonly [K in keyof T]: Immutable<T[K]> };
export type ConnectionState<T> = { readonly [K in keyof T]: Immutable<T[K]> } | null;
export type ConnectionSetStateFn<T> = (prevState: ConnectionState<T>) => T;

/** A WebSocket connected to the Room. */
export type Connection<TState = unknown> = WebSocket & {
  /** Connection identifier (`_pk` or `id` query parameter, else generated). */
  id: string;
  /** @deprecated You can access the socket properties directly on the connection */
  socket: WebSocket;
  uri: string;
  /** Tags from `getConnectionTags` (the id is always the first). */
  tags: readonly string[];
  /** Read-only; use `setState` to change it. */
  state: ConnectionState<TState>;
  setState(state: TState | ConnectionSetStateFn<TState> | null): ConnectionState<TState>;
  /** @deprecated use Connection.setState instead */
  serializeAttachment<T = unknown>(attachment: T): void;
  /** @deprecated use Connection.state instead */
  deserializeAttachment<T = unknown>(): T | null;
};

/** Room represents a single, self-contained, long-lived session. */
export type Room = {
  /** Room ID defined in the Party URL, e.g. /parties/:name/:id */
  id: string;
  /** A stable internal id (a hash of party and room id). Use `id` instead. */
  internalID: string;
  /** Party name defined in the Party URL, e.g. /parties/:name/:id */
  name: string;
  /** Environment variables (`vars`) */
  env: Record<string, unknown>;
  /** A per-room key-value storage */
  storage: Storage;
  /** Runs `fn`; no connection, message or request is delivered to the room until it settles. */
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
  context: Context;
  /** @deprecated Use `room.getConnections` instead */
  connections: Map<string, Connection>;
  /** @deprecated Use `room.context.parties` instead */
  parties: Context["parties"];
  /** Send a message to all connected clients, except connection ids listed `without` */
  broadcast: (msg: string | ArrayBuffer | ArrayBufferView, without?: string[] | undefined) => void;
  getConnection<TState = unknown>(id: string): Connection<TState> | undefined;
  getConnections<TState = unknown>(tag?: string): Iterable<Connection<TState>>;
  analytics: AnalyticsEngineDataset;
};
/** @deprecated Use `Party.Room` instead */
export type Party = Room;

/** PartyKit's `Party.ServerOptions` (`static options` / `readonly options` of a server). */
export type ServerOptions = {
  /** Accepted for compatibility; yparty keeps rooms in memory while they are in use. */
  hibernate?: boolean;
  /**
   * yparty: whether a connection's frames wait until its `onConnect` has settled (default true, PartyKit's order).
   * `false` delivers them as soon as `onConnect` has been called, for a server that holds early frames itself
   * (the built-in Yjs party keeps them while its document loads): they are then held once, by the server.
   */
  holdMessagesUntilConnected?: boolean;
  /**
   * yparty: how binary frames are handed over: `"arraybuffer"` (default, as on PartyKit: exactly the frame's bytes,
   * a small frame copied out of the socket's read) or `"uint8array"` (a view of the bytes as read, no copy).
   */
  binaryMessages?: "arraybuffer" | "uint8array";
  /**
   * yparty: what a throwing `onMessage` (or message listener) does to its connection. By default nothing: the error is
   * logged (`room.hook_failed`, with the room and the connection) and the socket stays open, as on PartyKit and
   * partyserver. `true` closes the connection with 1011 and calls `onError`, for a server whose protocol cannot go on
   * after a failed message (yparty's rooms, game and Yjs parties set it).
   */
  closeOnMessageError?: boolean;
  /**
   * yparty: whether `room.storage` refuses what a Durable Object's storage refuses (default true, as on PartyKit): a
   * key over 2,048 bytes (UTF-8), a value over 128 KiB serialized, more than 128 keys in one `get`/`put`/`delete`, a
   * write past 128 keys in one transaction; each with workerd's error (docs/runtime.md, "room.storage"). `false` lifts
   * them, for a server that never runs on PartyKit: yparty's rooms and game parties, whose state may pass 128 KiB.
   */
  storageLimits?: boolean;
};
/** PartyKit's alias of `ServerOptions`. */
export type PartyServerOptions = ServerOptions;

export type Server = {
  readonly options?: ServerOptions;
  getConnectionTags?(connection: Connection, context: ConnectionContext): string[] | Promise<string[]>;
  /** Called once before the first `onConnect`/`onRequest`; a throw is retried on the next arrival. */
  onStart?(): void | Promise<void>;
  onConnect?(connection: Connection, ctx: ConnectionContext): void | Promise<void>;
  onMessage?(message: string | ArrayBuffer | ArrayBufferView, sender: Connection): void | Promise<void>;
  /**
   * The close's code and reason as the room's side of the socket saw them (as partyserver passes them): 1001 when
   * the server shuts down, 1012 when a `dev` reload restarts the room, 1006 (`wasClean` false) when the socket broke.
   */
  onClose?(connection: Connection, code?: number, reason?: string, wasClean?: boolean): void | Promise<void>;
  onError?(connection: Connection, error: Error): void | Promise<void>;
  onRequest?(req: Request): Response | Promise<Response>;
  onAlarm?(): void | Promise<void>;
  /** yparty: awaited before the room is unloaded (idle, reload, server close). Flush here. */
  onStop?(): void | Promise<void>;
};

export type FetchSocket = WebSocket & { request: Request };

/** One run of a `crons` schedule (Cloudflare's ScheduledController, with the schedule's name). */
export type Cron = {
  name: string;
  /** The expression, as written in `crons`. */
  cron: string;
  /** When this run was due (ms since the epoch). */
  scheduledTime: number;
  /** Accepted for compatibility: a failed run is never retried. */
  noRetry(): void;
};

type ServerConstructor = {
  new (room: Room): Server;
};

/** The statics a Party.Server class may carry (PartyKit's Edge worker hooks). */
export type Worker = ServerConstructor & {
  onFetch?(req: Request, lobby: FetchLobby, ctx: ExecutionContext): Response | undefined | null | Promise<Response | null | undefined>;
  onSocket?(socket: FetchSocket, lobby: FetchLobby, ctx: ExecutionContext): void | Promise<void>;
  /** Runs each `crons` schedule (on the `main` party). */
  onCron?(cron: Cron, lobby: CronLobby, ctx: ExecutionContext): unknown;
  onBeforeRequest?(req: Request, lobby: Lobby, ctx: ExecutionContext): Request | Response | Promise<Request | Response>;
  onBeforeConnect?(req: Request, lobby: Lobby, ctx: ExecutionContext): Request | Response | Promise<Request | Response>;
};

/** The legacy object style: `export default { onConnect(conn, room) { … } }`. */
export type PartyKitServer = {
  /** yparty reads them as a class server's `options` (PartyKit ignores this field of the legacy form). */
  options?: ServerOptions;
  /** @deprecated Use `onFetch` instead */
  unstable_onFetch?: (req: Request, lobby: FetchLobby, ctx: ExecutionContext) => Response | null | undefined | Promise<Response | null | undefined>;
  onFetch?: (req: Request, lobby: FetchLobby, ctx: ExecutionContext) => Response | null | undefined | Promise<Response | null | undefined>;
  onSocket?(socket: FetchSocket, lobby: FetchLobby, ctx: ExecutionContext): void | Promise<void>;
  onCron?: (cron: Cron, lobby: CronLobby, ctx: ExecutionContext) => void | Promise<void>;
  onBeforeRequest?: (req: Request, lobby: Lobby, ctx: ExecutionContext) => ReturnRequest | Response | Promise<ReturnRequest | Response>;
  onRequest?: (req: Request, room: Room) => Response | Promise<Response>;
  onAlarm?: (room: Omit<Room, "id" | "parties">) => void | Promise<void>;
  onConnect?: (connection: Connection, room: Room, ctx: ConnectionContext) => void | Promise<void>;
  onBeforeConnect?: (req: Request, lobby: Lobby, ctx: ExecutionContext) => ReturnRequest | Response | Promise<ReturnRequest | Response>;
  onMessage?: (message: string | ArrayBuffer | ArrayBufferView, connection: Connection, room: Room) => void | Promise<void>;
  onClose?: (connection: Connection, room: Room) => void | Promise<void>;
  onError?: (connection: Connection, err: Error, room: Room) => void | Promise<void>;
};

/** @deprecated Use Party.Request instead */
export type PartyRequest = Request;
/** @deprecated Use Party.Storage instead */
export type PartyStorage = Storage;
/** @deprecated Use Party.Storage instead */
export type PartyKitStorage = Storage;
/** @deprecated Use Party.ConnectionContext instead */
export type PartyConnectionContext = ConnectionContext;
/** @deprecated Use Party.ConnectionContext instead */
export type PartyKitContext = ConnectionContext;
/** @deprecated Use Party.Stub instead */
export type PartyStub = Stub;
/** @deprecated Use Party.Context instead */
export type PartyContext = Context;
/** @deprecated Use Party.FetchLobby instead */
export type PartyFetchLobby = FetchLobby;
/** @deprecated Use Party.Lobby instead */
export type PartyLobby = Lobby;
/** @deprecated Use Party.ExecutionContext instead */
export type PartyExecutionContext = ExecutionContext;
/** @deprecated Use Party.Connection instead */
export type PartyConnection = Connection;
/** @deprecated Use Party.Server instead */
export type PartyServer = Server;
/** @deprecated Use Party.Worker instead */
export type PartyWorker = Worker;
/** @deprecated Use `Room` instead */
export type PartyKitRoom = Room;
/** @deprecated Use `Party.Connection` instead */
export type PartyKitConnection = Connection;
