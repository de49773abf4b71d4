/**
 * A party as the runtime runs it, from either style the user may write: a `Party.Server` class
 * (with statics) or the legacy object (`export default { onConnect(conn, room) { … } }`).
 */
import type { Cron, CronLobby, ExecutionContext, FetchLobby, FetchSocket, Lobby, PartyKitServer, Room, Server, Worker } from "./party-types.js";

export type PartyModule = Worker | PartyKitServer;

type MaybePromise<T> = T | Promise<T>;

/** The normalized party: how to make its room server, and its worker-level hooks. */
export interface PartyDefinition {
  createServer(room: Room): Server;
  onBeforeConnect?(req: Request, lobby: Lobby, ctx: ExecutionContext): MaybePromise<Request | Response>;
  onBeforeRequest?(req: Request, lobby: Lobby, ctx: ExecutionContext): MaybePromise<Request | Response>;
  onFetch?(req: Request, lobby: FetchLobby, ctx: ExecutionContext): MaybePromise<Response | null | undefined>;
  onCron?(cron: Cron, lobby: CronLobby, ctx: ExecutionContext): unknown;
  onSocket?(socket: FetchSocket, lobby: FetchLobby, ctx: ExecutionContext): unknown;
}

export function definePartyFromModule(module: PartyModule): PartyDefinition {
  if (typeof module === "function") return fromClass(module);
  if (module !== null && typeof module === "object") return fromLegacyObject(module);
  throw new TypeError(`A party must be a Party.Server class or a PartyKitServer object, got ${typeof module}`);
}

function fromClass(ServerClass: Worker): PartyDefinition {
  const definition: PartyDefinition = { createServer: (room) => new ServerClass(room) };
  // Statics are called with the class as `this`, as PartyKit does.
  if (ServerClass.onBeforeConnect) definition.onBeforeConnect = ServerClass.onBeforeConnect.bind(ServerClass);
  if (ServerClass.onBeforeRequest) definition.onBeforeRequest = ServerClass.onBeforeRequest.bind(ServerClass);
  if (ServerClass.onFetch) definition.onFetch = ServerClass.onFetch.bind(ServerClass);
  if (ServerClass.onCron) definition.onCron = ServerClass.onCron.bind(ServerClass);
  if (ServerClass.onSocket) definition.onSocket = ServerClass.onSocket.bind(ServerClass);
  return definition;
}

function fromLegacyObject(module: PartyKitServer): PartyDefinition {
  const definition: PartyDefinition = { createServer: (room) => legacyServer(module, room) };
  if (module.onBeforeConnect) definition.onBeforeConnect = module.onBeforeConnect.bind(module);
  if (module.onBeforeRequest) definition.onBeforeRequest = module.onBeforeRequest.bind(module);
  const onFetch = module.onFetch ?? module.unstable_onFetch;
  if (onFetch) definition.onFetch = onFetch.bind(module);
  if (module.onCron) definition.onCron = module.onCron.bind(module);
  if (module.onSocket) definition.onSocket = module.onSocket.bind(module);
  return definition;
}

/**
 * The legacy hooks take the room as an extra argument; only the hooks the object has are defined. Its `options` are
 * the server's (PartyKit's legacy form has none it reads: `hibernate` means nothing here either, and yparty's own
 * — `binaryMessages`, `closeOnMessageError`, `holdMessagesUntilConnected` — then apply as to a class).
 */
function legacyServer(module: PartyKitServer, room: Room): Server {
  const server: Server = module.options ? { options: module.options } : {};
  if (module.onConnect) server.onConnect = (connection, ctx) => module.onConnect!(connection, room, ctx);
  if (module.onMessage) server.onMessage = (message, connection) => module.onMessage!(message, connection, room);
  if (module.onClose) server.onClose = (connection) => module.onClose!(connection, room);
  if (module.onError) server.onError = (connection, error) => module.onError!(connection, error, room);
  if (module.onRequest) server.onRequest = (req) => module.onRequest!(req, room);
  if (module.onAlarm) server.onAlarm = () => module.onAlarm!(room);
  return server;
}
