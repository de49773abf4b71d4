/**
 * `createRooms({ types })`: the rooms protocol as a mount on `createServer` — the parties it needs (one per room
 * type, one matchmaker per room type) and the socket handler at its path (default `/rooms`).
 *
 *   const rooms = createRooms({ types: { counter } });
 *   createServer({ parties: { ...myParties, ...rooms.parties }, sockets: rooms.sockets });
 */
import { silentLogger, type PartyModule, type SocketHandler, type SocketHost } from "../runtime/index.js";
import { DEFAULT_MAX_CLIENTS, type RoomType } from "./define.js";
import { RoomDirectory } from "./directory.js";
import { acceptRoomsSocket, devTokenVerifier, type TokenVerifier } from "./handshake.js";
import { checkedValue, COUNT, DEFAULT_ROOMS_PATH, resolveRoomsLimits, type RoomsLimits, WAIT_OR_NONE_MS } from "./limits.js";
import { matchmakerParty, matchmakerPartyName } from "./matchmaker-party.js";
import { MatchmakingState } from "./matchmaking-state.js";
import { roomParty, roomPartyName } from "./room-party.js";
import type { Session, SessionContext } from "./session.js";

export { DEFAULT_ROOMS_PATH } from "./limits.js";

export interface RoomsOptions {
  /** Room type name → `defineRoomType(…)`. Names: letters, digits, `_`, `-` (at most 64). */
  types: Record<string, RoomType<any>>;
  /** Default `/rooms`. */
  path?: string;
  /** Default `devTokenVerifier`: every non-empty token (for development). */
  verifyToken?: TokenVerifier;
  /** When set, handshakes naming another `project_id` are refused (4401). */
  projectId?: string;
  limits?: Partial<RoomsLimits>;
  /**
   * What matchmaking keeps (the players being matched, the seats matches hold, the notices kept for players whose
   * socket dropped), for the mount that replaces this one when the server's code is reloaded with a new `createRooms`
   * (`server.reload`): give both the same, so a match being made as the code reloads is not made again by the new
   * mount's matchmaker, and a player back after it is told of a match the old mount kept a notice of. `yparty dev`
   * does, across its rebuilds. Default: this mount's own.
   */
  matchmaking?: MatchmakingState;
}

export interface RoomsMount {
  /** Spread into `createServer({ parties })` (and into `server.reload(parties)`). */
  parties: Record<string, PartyModule>;
  /** Pass as `createServer({ sockets })`. */
  sockets: Record<string, SocketHandler>;
}

/** The default export of the module a config's `rooms` entry names (`yparty dev` mounts it at `rooms.path`). */
export function defineRooms(options: Omit<RoomsOptions, "path">): Omit<RoomsOptions, "path"> {
  return options;
}

const ROOM_TYPE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function createRooms(options: RoomsOptions): RoomsMount {
  const limits = resolveRoomsLimits(options.limits);
  const { seats, notices, listings, beingMade: matchesBeingMade } = options.matchmaking ?? new MatchmakingState();
  // This code's room types over the listings and the seats held, which outlive the mount.
  const directory = new RoomDirectory((roomType) => options.types[roomType]?.maxClients ?? DEFAULT_MAX_CLIENTS, seats, listings);
  const shared = { directory, notices, limits, matchesBeingMade, logger: silentLogger() };
  const parties: Record<string, PartyModule> = {};
  for (const [name, type] of Object.entries(options.types)) {
    if (!ROOM_TYPE_NAME.test(name)) throw new TypeError(`Room type "${name}": use letters, digits, "_" and "-" (at most 64)`);
    if (type?.kind !== "yparty.roomType") throw new TypeError(`Room type "${name}" must be made with defineRoomType(…)`);
    checkedRoomType(name, type);
    parties[roomPartyName(name)] = roomParty(name, type, shared);
    parties[matchmakerPartyName(name)] = matchmakerParty(name, shared);
  }
  const roomTypes = new Set(Object.keys(options.types));
  const handshake = { verifyToken: options.verifyToken ?? devTokenVerifier, ...(options.projectId === undefined ? {} : { projectId: options.projectId }) };
  // Per server (a test restarts one, `yparty dev` may make a new one): sessions resume only on their own server.
  const contexts = new WeakMap<SocketHost, SessionContext>();
  const handler: SocketHandler = (ws, request, host) => {
    shared.logger = host.logger;
    let context = contexts.get(host);
    if (!context) contexts.set(host, (context = { host, roomTypes, directory, notices, limits, logger: host.logger, sessions: new Map<string, Session>() }));
    acceptRoomsSocket(ws, request, context, handshake);
  };
  return { parties, sockets: { [options.path ?? DEFAULT_ROOMS_PATH]: handler } };
}

/**
 * A room type's seats and tick, checked as the limits are: `maxClients` NaN (an unset environment variable) left every
 * room unbounded and made each unnamed join a room of its own (no listing had a free seat below NaN), and a `tickMs`
 * past a timer's longest wait ticked every millisecond. `tickMs` 0 means no tick.
 */
function checkedRoomType(name: string, type: RoomType<any>): void {
  if (type.maxClients !== undefined) checkedValue(`Room type "${name}": maxClients`, COUNT, type.maxClients);
  if (type.tickMs !== undefined) checkedValue(`Room type "${name}": tickMs`, WAIT_OR_NONE_MS, type.tickMs);
}
