/**
 * `createGame({ matches, modes })`: seed 002's game backend as a mount on `createServer` — its parties (player
 * rooms, chat channels, one room type per match, one matchmaker per mode), the socket at its path (default `/ws`)
 * and the REST API under `/api`.
 *
 *   const game = createGame({ matches: { arena }, modes: { arena: { size: 2, match: "arena" } } });
 *   createServer({ parties: { ...myParties, ...game.parties }, sockets: game.sockets, routes: game.routes });
 */
import type { PartyModule, Room, RouteHandler, SocketHandler } from "../runtime/index.js";
import { silentLogger } from "../runtime/index.js";
import { roomParty } from "../rooms/room-party.js";
import { RoomDirectory } from "../rooms/directory.js";
import { DEFAULT_ROOMS_LIMITS } from "../rooms/limits.js";
import { holdMatchSeats, matchRoomsOf } from "../rooms/match-seats.js";
import { MatchmakingState } from "../rooms/matchmaking-state.js";
import { devTokenVerifier, type TokenVerifier } from "../rooms/tokens.js";
import { DEFAULT_MAX_PLAYERS, type Match } from "./define-match.js";
import { matchRoomType } from "./match-room.js";
import { matchmakerParty } from "./matchmaker-party.js";
import { playerParty } from "./player-party.js";
import { chatParty } from "./chat-party.js";
import { CHAT_PARTY, matchPartyName, matchmakerPartyName, PLAYER_PARTY, type GameShared } from "./parties.js";
import { DEFAULT_API_PATH, DEFAULT_GAME_PATH, resolveGameLimits, type GameLimits } from "./limits.js";
import type { ModeDefinition } from "./modes.js";
import { acceptGameSocket } from "./connect.js";
import { gameApi } from "./rest.js";
import { ChatRate } from "./chat-rate.js";
import type { ChannelGate, GameCode, GameContext, GameSession } from "./session.js";
import { ServedSessions } from "../rooms/served-sessions.js";

export { DEFAULT_API_PATH, DEFAULT_GAME_PATH } from "./limits.js";

export interface GameOptions {
  /** Match name → `defineMatch(…)`. Names: letters, digits, `_`, `-` (at most 64). */
  matches: Record<string, Match<any>>;
  /** Matchmaking mode → its size, match and rules. */
  modes?: Record<string, ModeDefinition>;
  /**
   * `session.connect`'s token (and the REST API's Bearer token) → player id, or null to refuse; the rooms protocol's
   * verifier type (its context's `projectId` is "": seed 002 has none). Default `devTokenVerifier` (development only).
   */
  verifyToken?: TokenVerifier;
  /**
   * Who may join a chat channel (seed 002's channels are open: default, anyone): true to let `player` in, false (or a
   * throw, which is logged) to answer its `chat.join` with `error`. May return a promise (a membership lookup): the
   * join waits for it. Channel ids are the app's to shape, e.g. `dm:ada:bob` or `group:42`.
   */
  canJoinChannel?: ChannelGate;
  /** The socket's path, default `/ws`. */
  path?: string;
  /** The REST API's prefix, default `/api`. */
  apiPath?: string;
  limits?: Partial<GameLimits>;
  /**
   * What matchmaking keeps (the players being matched, the seats matches hold, the notices kept for players whose
   * socket dropped), for the mount that replaces this one when the server's code is reloaded with a new `createGame`
   * (`server.reload`): give both the same, so a match being made as the code reloads is not made again by the new
   * mount's matchmaker, and a player back after it is told of a match the old mount kept a notice of. `yparty dev`
   * does, across its rebuilds. Default: this mount's own. (Not the rooms protocol's: each protocol its own.)
   */
  matchmaking?: MatchmakingState;
  /**
   * The sessions (their match seats, tickets, chats), for the mount that replaces this one when the server's code is
   * reloaded with a new `createGame`: give both the same, and call the new mount's `serve()` as its parties replace
   * these (`server.reload`). A player back after the reload then finds its session, and every session uses the new
   * mount's matches, modes and limits from then on, one open across the reload too. `yparty dev` does, across its
   * rebuilds. Default: this mount's own. (Not the rooms protocol's.)
   */
  sessions?: GameSessions;
}

/** The sessions of the game protocol, for `createGame({ sessions })`: one for every mount that replaces another. */
export class GameSessions extends ServedSessions<GameContext, GameCode> {
  constructor() {
    super("game.mount_not_served");
  }
}

export interface GameMount {
  /** Spread into `createServer({ parties })` (and into `server.reload(parties)`). */
  parties: Record<string, PartyModule>;
  /** Pass as `createServer({ sockets })`. */
  sockets: Record<string, SocketHandler>;
  /** Pass as `createServer({ routes })`: the REST API. */
  routes: RouteHandler[];
  /**
   * Makes this mount's code the one its sessions use (option `sessions`: those of the mount it replaces). A mount
   * serves as it is made when its sessions have no mount yet (the first, or one of its own).
   */
  serve(): void;
}

/** The default export of the module a config's `game` entry names (`yparty dev` mounts it at `game.path`). */
export function defineGame(options: Omit<GameOptions, "path" | "apiPath">): Omit<GameOptions, "path" | "apiPath"> {
  return options;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function createGame(options: GameOptions): GameMount {
  const limits = resolveGameLimits(options.limits);
  // A player's room of this mount starting while it was never served is a program's mistake, logged (served-sessions.ts).
  const started = (): void => sessions.started(code);
  const shared: GameShared = { limits, logger: silentLogger(), started };
  const modes = new Map(Object.entries(options.modes ?? {}));
  const parties: Record<string, PartyModule> = { [PLAYER_PARTY]: playerParty(shared), [CHAT_PARTY]: chatParty(shared) };
  // Matches are rooms of the rooms protocol's authoritative room party (their own directory: never listed).
  // A seat kept across a restart waits the game's reconnect window, as one kept while the server runs does.
  // Their seats held for matched players, and the `matchmaker.matched` frames whose player's socket dropped as the match
  // was made (kept while its seat is held), outlive the mount when given (a reload's next mount).
  const { seats, notices, beingMade: matchesBeingMade } = options.matchmaking ?? new MatchmakingState();
  const roomShared = {
    directory: new RoomDirectory(undefined, seats),
    limits: { ...DEFAULT_ROOMS_LIMITS, resumeWindowMs: limits.reconnectWindowMs, seatReservationMs: limits.seatReservationMs },
    logger: shared.logger,
  };
  for (const [name, match] of Object.entries(options.matches)) {
    if (!NAME.test(name)) throw new TypeError(`Match "${name}": use letters, digits, "_" and "-" (at most 64)`);
    if (match?.kind !== "yparty.match") throw new TypeError(`Match "${name}" must be made with defineMatch(…)`);
    parties[matchPartyName(name)] = roomParty(
      name,
      matchRoomType(match, limits, () => shared.logger),
      roomShared,
    );
  }
  for (const [name, mode] of modes) {
    if (!NAME.test(name)) throw new TypeError(`Mode "${name}": use letters, digits, "_" and "-" (at most 64)`);
    if (!Number.isInteger(mode?.size) || mode.size < 1 || mode.size > 100) throw new TypeError(`Mode "${name}": size must be an integer from 1 to 100`);
    if (!(mode.match in options.matches))
      throw new TypeError(`Mode "${name}": match "${mode.match}" is not one of the matches (${Object.keys(options.matches).join(", ")})`);
    // Every player it matches must find a seat: the last ones would be refused "full", the match waiting for them.
    const seats = options.matches[mode.match]!.maxPlayers ?? DEFAULT_MAX_PLAYERS;
    if (mode.size > seats) throw new TypeError(`Mode "${name}": size ${mode.size} is more than match "${mode.match}" seats (maxPlayers ${seats})`);
    // Held until they join, at most `seatReservationMs`, as the rooms protocol's matchmaker holds them.
    const reserve = (queue: Room, matchId: string, players: string[]) =>
      holdMatchSeats(
        matchRoomsOf(queue, matchPartyName(mode.match), mode.match, roomShared.directory),
        matchId,
        { players, until: Date.now() + limits.seatReservationMs },
        shared.logger,
        limits.seatStoreTimeoutMs,
      );
    parties[matchmakerPartyName(name)] = matchmakerParty(name, mode, reserve, notices, matchesBeingMade.of(name));
  }
  const verifyToken = options.verifyToken ?? devTokenVerifier;
  const code: GameCode = {
    parties,
    matches: new Set(Object.keys(options.matches)),
    modes,
    limits,
    notices,
    verifyToken,
    ...(options.canJoinChannel ? { canJoinChannel: options.canJoinChannel } : {}),
    hostedBy: (host) => {
      shared.logger = roomShared.logger = host.logger;
    },
  };
  const path = options.path ?? DEFAULT_GAME_PATH;
  const sessions = options.sessions ?? new GameSessions();
  sessions.madeFor(code, path, "createGame");
  // The served mount's code, whichever mount's handler the socket came to (the first's stays a server's, given once).
  const handler: SocketHandler = (ws, request, host) => {
    const context = sessions.on(host, code, () => ({
      host,
      logger: host.logger,
      sessions: new Map<string, GameSession>(),
      chatRate: new ChatRate(),
      served: sessions,
    }));
    acceptGameSocket(ws, request, context);
  };
  return {
    parties,
    sockets: { [path]: handler },
    routes: [gameApi(options.apiPath ?? DEFAULT_API_PATH, () => sessions.code)],
    serve: () => sessions.serve(code),
  };
}
