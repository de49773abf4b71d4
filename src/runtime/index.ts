/**
 * yparty/server: the PartyKit-compatible room runtime.
 * `import type * as Party from "yparty/server"` gives the PartyKit type names (Party.Server, Party.Room, …).
 */
export { createServer, DEFAULT_HOST, DEFAULT_PERSIST_DIR, DEFAULT_PORT } from "./server.js";
export type { CreateServerOptions, LiveRoomInfo, RouteHandler, YpartyServer } from "./server.js";
export type { PartyModule } from "./party-module.js";
export type { TrustProxy } from "./client-address.js";
export type { AssetHandler } from "./context.js";
export type { ForwardTarget, PlacementHost, RoomPlacement } from "./placement.js";
export type { LocalConnection, LocalPeer, SocketHandler, SocketHost } from "./socket-mounts.js";
export type { Reload, ReloadListener } from "./core.js";
export { documentStorage, roomOfStorage, type DocumentStorage } from "./document-storage.js";
export { sameSecret } from "./same-secret.js";
export { unsentBeyondLargestMessage } from "./raw-socket-sends.js";
export { createLogger, silentLogger, type LogEntry, type Logger, type LoggerOptions, type LogLevel } from "./log.js";
export { DEFAULT_LIMITS, MAX_CONNECTION_TAGS, MAX_TAG_LENGTH, type Limits } from "./limits.js";
export { errorResponse, RuntimeError, type ErrorBody, type RuntimeErrorCode } from "./errors.js";
export type { PartyListing, PartyRoomListing, RoomListing } from "./listing.js";
export { roomRow } from "./listing.js";
export { parseStorageName, roomPath, SERVER_STORE_PREFIX, storageName, type RoomRef } from "./room-names.js";
export { CONTROL_CHARACTERS, MAIN_PARTY } from "./routing.js";
export { CloseCode } from "../protocol/index.js";
// Workers globals that server bundles get injected (src/cli/bundle/server.ts).
export { WebSocketPair, workerResponseOf } from "./websocket-pair.js";
export type * from "./party-types.js";
