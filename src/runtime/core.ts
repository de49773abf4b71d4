/** The server's shared parts, as the request and upgrade handlers see them. */
import type { BodyLimits } from "./request-body.js";
import type { FrameBudget } from "./frame-budget.js";
import type { WebSocketServer } from "ws";
import type { Storage } from "../../persistence/types.js";
import type { PartyContext } from "./context.js";
import type { Heartbeat } from "./heartbeat.js";
import type { SendBudget } from "./send-budget.js";
import type { Limits } from "./limits.js";
import type { Logger } from "./log.js";
import type { PartyDefinition, PartyModule } from "./party-module.js";
import type { RoomPlacement } from "./placement.js";
import type { FetchLobby } from "./party-types.js";
import type { RawSockets } from "./raw-sockets.js";
import type { RoomRegistry } from "./registry.js";
import type { SocketHandler } from "./socket-mounts.js";

/**
 * Consulted in order for paths outside `/parties/` and `/party/`; the first Response wins. `lobby` reaches the
 * parties' rooms in-process, as `onFetch`'s does (how a protocol's REST API, e.g. the game's `/api`, reaches its rooms).
 */
export type RouteHandler<S = unknown> = (req: Request, server: S, lobby: FetchLobby) => Response | undefined | Promise<Response | undefined>;

/** A `server.reload(parties)` beginning: the parties served from now on, and its end (the old code's rooms stopped). */
export interface Reload {
  readonly parties: Readonly<Record<string, PartyModule>>;
  readonly done: Promise<void>;
}

export type ReloadListener = (reload: Reload) => void;

export interface ServerCore {
  readonly limits: Limits;
  readonly logger: Logger;
  readonly parties: Map<string, PartyDefinition>;
  readonly registry: RoomRegistry;
  readonly partyContext: PartyContext;
  readonly heartbeat: Heartbeat;
  /** Unsent bytes of every connection and raw socket (`limits.maxBufferedBytes`). */
  readonly sendBudget: SendBudget;
  /** Request bodies being read (`limits.maxBodyBytesInFlight`, `bodyIdleTimeoutMs`). */
  readonly bodies: BodyLimits;
  /** WebSocket messages read and not handled yet (`limits.maxFrameBytesInFlight`). */
  readonly frameBudget: FrameBudget;
  readonly wss: WebSocketServer;
  readonly routes: RouteHandler[];
  /** Proxies in front trusted to append the client's address to `x-forwarded-for` (`createServer({ trustProxy })`). */
  readonly trustedProxies: number;
  /** `GET /parties/{party}` answers the party's rooms (`createServer({ listRooms })`; undefined: unguarded parties). */
  readonly listsRooms: boolean | undefined;
  /** Whether static assets are served (`createServer({ assets })`, the CLI's `serve` folder): the 404 of a path says so. */
  readonly servesAssets: boolean;
  /**
   * Sockets handed out as they are (the main party's `onSocket`, `WebSocketPair` ends, mounted sockets; outside any
   * room): closed with the server (party code's also at a reload), and pinged by the heartbeat.
   */
  readonly rawSockets: RawSockets;
  /** `createServer({ sockets })`: exact paths whose WebSockets go to a handler (closed with the server, as above). */
  readonly sockets: ReadonlyMap<string, SocketHandler>;
  /** Heard at each `server.reload` (mounted protocols learn of a code change there: `SocketHost.onReload`). */
  readonly reloads: Set<ReloadListener>;
  /** Several nodes: where each room is served (`createServer({ placement })`); absent on one node. */
  readonly placement: RoomPlacement | undefined;
  /** The public server object handed to route handlers. */
  readonly publicServer: unknown;
  /** False once `close()` began: new requests and upgrades get 503. */
  accepting(): boolean;
  /** Aborted when `close()` begins: what waits only on a client (draining a body after its answer) stops then. */
  readonly stopping: AbortSignal;
  openedStorage(): Storage;
  /** `host:port`, for URLs of requests without a Host header. */
  authority(): string;
}
