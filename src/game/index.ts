/**
 * yparty/game: seed 002's game backend protocol (sessions, matches, matchmaker, chat, votes, presence,
 * notifications, a REST API) on the party runtime, built on the rooms protocol's parts. See docs/game.md.
 */
export { createGame, defineGame, DEFAULT_API_PATH, DEFAULT_GAME_PATH, type GameMount, type GameOptions } from "./mount.js";
export { defineMatch, MatchError, type Match, type MatchContext, type MatchDefinition, type MatchInput } from "./define-match.js";
export { same, within, type MatchRule, type ModeDefinition, type Ticket, type TicketProperties } from "./modes.js";
export { VOTE_METHODS, type VoteMethod, type VoteOption, type VoteResult, type VoteSpec, type VoteVisibility } from "./votes.js";
export { DEFAULT_GAME_LIMITS, type GameLimits } from "./limits.js";
export { devTokenVerifier, type TokenVerifier } from "../rooms/tokens.js";
export * from "./wire.js";
