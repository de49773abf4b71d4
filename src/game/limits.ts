/**
 * Every limit of the game protocol with its default and its rule, checked as the rooms protocol's are, and the default
 * paths of its socket and REST API. A module of its own, so that the CLI resolves a config's `game` (its default
 * paths) without loading the protocol.
 */
import { checkedLimits, COUNT, COUNT_OR_NONE, type LimitRule, SEAT_STORE_WAIT_MS, WAIT_MS, WAIT_OR_NONE_MS } from "../rooms/limits.js";

/** Where the game's socket and REST API are mounted unless told otherwise (the config's `game.path`, `game.apiPath`). */
export const DEFAULT_GAME_PATH = "/ws";
export const DEFAULT_API_PATH = "/api";

/** Every limit of the game protocol, with its default, in one place (documented in docs/game.md). */
export interface GameLimits {
  /**
   * A session with no frame from its client for this long is closed (4408) and its player goes offline; also the
   * wait for `session.connect`. Clients send `session.heartbeat` more often (every 10 s is plenty).
   */
  sessionTimeoutMs: number;
  /** After a socket drops, its session keeps the player's seats in matches this long for a reconnect. */
  reconnectWindowMs: number;
  /**
   * The match of a matchmaker's match holds a seat for each matched player until they join, at most this long: no
   * other join takes it, and the match waits for them. Apart from `reconnectWindowMs`, which may be 0.
   */
  seatReservationMs: number;
  /** Bad frames answered with `error`; the one that reaches this closes the socket 4400. */
  maxProtocolErrors: number;
  /** Characters of one chat message. */
  maxChatLength: number;
  /** Chat messages one player may send per `chatRateWindowMs`, across its sessions and reconnects (over it: `error`). */
  chatMessagesPerWindow: number;
  chatRateWindowMs: number;
  /** Messages a channel keeps and sends on `chat.join`. */
  chatHistory: number;
  /** Chat channels, and matchmaker tickets, one session may hold at once (each); a session is in one match at a time. */
  maxPerSession: number;
  /** Notifications a player keeps (unread first; the oldest read ones go first). */
  maxNotifications: number;
  /** Friends (and pending invites) per player. */
  maxFriends: number;
  /** Bytes of the JSON of one `presence.update`'s metadata (sent to every friend, listed by each friend's GET /api/friends). */
  maxPresenceMetadataBytes: number;
  /** Votes open at once in one match (`ctx.startVote` throws `MatchError` past it). */
  maxOpenVotes: number;
  /** Of those, votes started while applying one player's inputs. */
  maxOpenVotesPerPlayer: number;
  /** `match.input`s one player may queue for one tick; more get `error` (a tick applies what is queued, no more). */
  maxInputsPerTick: number;
  /** Bytes of a REST request's body (its calls take a few dozen); more: 413, read no further. */
  maxRequestBytes: number;
  /**
   * Bytes of one frame from a game client (a `match.input` too); a bigger one closes its socket 1009. (Without it a
   * player could queue `maxInputsPerTick` inputs of the server's 16 MiB message limit in a match, every tick.)
   */
  maxMessageBytes: number;
  /**
   * How long a mode's matchmaker waits for the match to store the seats it holds before telling the players
   * (src/rooms/match-seats.ts): past it (a storage write that never settles) they are told anyway, and it is logged.
   */
  seatStoreTimeoutMs: number;
}

export const DEFAULT_GAME_LIMITS: Readonly<GameLimits> = Object.freeze({
  sessionTimeoutMs: 30_000,
  reconnectWindowMs: 30_000,
  seatReservationMs: 30_000,
  maxProtocolErrors: 20,
  maxChatLength: 1000,
  chatMessagesPerWindow: 10,
  chatRateWindowMs: 10_000,
  chatHistory: 50,
  maxPerSession: 16,
  maxNotifications: 200,
  maxFriends: 500,
  maxPresenceMetadataBytes: 1024,
  maxOpenVotes: 16,
  maxOpenVotesPerPlayer: 4,
  maxInputsPerTick: 32,
  maxRequestBytes: 16 * 1024,
  maxMessageBytes: 64 * 1024,
  seatStoreTimeoutMs: 10_000,
});

const GAME_LIMIT_RULES: Readonly<Record<keyof GameLimits, LimitRule>> = {
  sessionTimeoutMs: WAIT_MS,
  reconnectWindowMs: WAIT_OR_NONE_MS,
  seatReservationMs: WAIT_MS,
  maxProtocolErrors: COUNT,
  maxChatLength: COUNT,
  chatMessagesPerWindow: COUNT,
  chatRateWindowMs: WAIT_MS,
  chatHistory: COUNT_OR_NONE,
  maxPerSession: COUNT,
  maxNotifications: COUNT_OR_NONE,
  maxFriends: COUNT_OR_NONE,
  maxPresenceMetadataBytes: COUNT,
  maxOpenVotes: COUNT_OR_NONE,
  maxOpenVotesPerPlayer: COUNT_OR_NONE,
  maxInputsPerTick: COUNT,
  maxRequestBytes: COUNT,
  maxMessageBytes: COUNT,
  seatStoreTimeoutMs: SEAT_STORE_WAIT_MS,
};

/** `createGame({ limits })`: the defaults with `overrides`, checked as the rooms protocol's are (`checkedLimits`). */
export function resolveGameLimits(overrides: unknown): GameLimits {
  return checkedLimits("createGame", DEFAULT_GAME_LIMITS, GAME_LIMIT_RULES, overrides);
}
