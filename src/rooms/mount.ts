/**
 * `createRooms({ types })`: the rooms protocol as a mount on `createServer` — the parties it needs (one per room
 * type, one matchmaker per room type) and the socket handler at its path (default `/rooms`).
 *
 *   const rooms = createRooms({ types: { counter } });
 *   createServer({ parties: { ...myParties, ...rooms.parties }, sockets: rooms.sockets });
 */
import { silentLogger, type PartyModule, type SocketHandler } from "../runtime/index.js";
import { DEFAULT_MAX_CLIENTS, type RoomType } from "./define.js";
import { RoomDirectory } from "./directory.js";
import { acceptRoomsSocket, devTokenVerifier, type TokenVerifier } from "./handshake.js";
import { checkedValue, COUNT, DEFAULT_ROOMS_PATH, resolveRoomsLimits, type RoomsLimits, WAIT_OR_NONE_MS } from "./limits.js";
import { matchmakerParty, matchmakerPartyName } from "./matchmaker-party.js";
import { MatchmakingState } from "./matchmaking-state.js";
import { roomParty, roomPartyName } from "./room-party.js";
import type { RoomsCode, Session, SessionContext } from "./session.js";
import { ServedSessions } from "./served-sessions.js";

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
  /**
   * The sessions (their rooms, the messages held for them, their ids), for the mount that replaces this one when the
   * server's code is reloaded with a new `createRooms`: give both the same, and call the new mount's `serve()` as its
   * parties replace these (`server.reload`). A client back after the reload then resumes its session, and every session
   * uses the new mount's room types and limits from then on, one open across the reload too. `yparty dev` does, across
   * its rebuilds. Default: this mount's own.
   */
  sessions?: RoomsSessions;
}

/** The sessions of the rooms protocol, for `createRooms({ sessions })`: one for every mount that replaces another. */
export class RoomsSessions extends ServedSessions<SessionContext, RoomsCode> {
  constructor() {
    super("rooms.mount_not_served");
  }
}

export interface RoomsMount {
  /** Spread into `createServer({ parties })` (and into `server.reload(parties)`). */
  parties: Record<string, PartyModule>;
  /** Pass as `createServer({ sockets })`. */
  sockets: Record<string, SocketHandler>;
  /**
   * Makes this mount's code the one its sessions use (option `sessions`: those of the mount it replaces). A mount
   * serves as it is made when its sessions have no mount yet (the first, or one of its own).
   */
  serve(): void;
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
  // A room of this mount starting while it was never served is a program's mistake, logged (served-sessions.ts).
  const started = (): void => sessions.started(code);
  const shared = { directory, notices, limits, matchesBeingMade, logger: silentLogger(), started };
  const parties: Record<string, PartyModule> = {};
  for (const [name, type] of Object.entries(options.types)) {
    if (!ROOM_TYPE_NAME.test(name)) throw new TypeError(`Room type "${name}": use letters, digits, "_" and "-" (at most 64)`);
    if (type?.kind !== "yparty.roomType") throw new TypeError(`Room type "${name}" must be made with defineRoomType(…)`);
    checkedRoomType(name, type);
    parties[roomPartyName(name)] = roomParty(name, type, shared);
    parties[matchmakerPartyName(name)] = matchmakerParty(name, shared);
  }
  const code: RoomsCode = {
    parties,
    roomTypes: new Set(Object.keys(options.types)),
    directory,
    notices,
    limits,
    handshake: { verifyToken: options.verifyToken ?? devTokenVerifier, ...(options.projectId === undefined ? {} : { projectId: options.projectId }) },
    hostedBy: (host) => {
      shared.logger = host.logger;
    },
  };
  const path = options.path ?? DEFAULT_ROOMS_PATH;
  const sessions = options.sessions ?? new RoomsSessions();
  sessions.madeFor(code, path, "createRooms");
  // The served mount's code, whichever mount's handler the socket came to (the first's stays a server's, given once).
  const handler: SocketHandler = (ws, request, host) => {
    const context = sessions.on(host, code, () => ({ host, logger: host.logger, sessions: new Map<string, Session>(), served: sessions }));
    acceptRoomsSocket(ws, request, context);
  };
  return { parties, sockets: { [path]: handler }, serve: () => sessions.serve(code) };
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
