/**
 * yparty/game: seed 002's game backend protocol (sessions, matches, matchmaker, chat, votes, presence,
 * notifications, a REST API) on the party runtime, built on the rooms protocol's parts. See docs/game.md.
 *
 * Where the seed is silent, the server does this (the wire format is the issue's; these are additions):
 * - Every request is answered, with its `cid` when it had one: by a message of its own type (its result) or by
 *   `error {reason}`; only `match.input` is answered just when it fails (at its tick). Answers:
 *   `session.connect` → `session.connected {player_id}`; `session.heartbeat` → `session.heartbeat {}`;
 *   `match.join` → `match.join {match_id}` (then `match.started` at the next tick once every matched player is in);
 *   `match.leave` → `match.leave {match_id}`; `matchmaker.add` → `{ticket_id}`; `matchmaker.remove` → `{ticket_id}`;
 *   `chat.join` → `chat.join {channel_id, history: [chat.message payloads, oldest first]}`; `chat.leave` →
 *   `{channel_id}`; `chat.send` → `chat.send {channel_id, message_id, sent_at}` (after the `chat.message` to every member);
 *   `vote.cast` → `vote.cast {vote_id}`; `vote.veto` → `vote.veto {vote_id, veto_tokens_left}`;
 *   `presence.update` → `presence.update {status}`.
 * - Before `session.connect`, other frames get `error` and the socket stays open; a refused token: `error`, close 4401;
 *   silence for `sessionTimeoutMs` (30 s): close 4408; 20 bad frames: 4400; a newer socket of the same player: 4009.
 * - A session is in one match at a time (`match.leave {}` names none); match ids are `{random}.{match name}`.
 * - `matchmaker.matched` also carries `ticket_id`; `match.vote_start` also `visibility`, `veto_enabled` and
 *   `time_remaining_ms` (a player joining during a vote gets it too). Vote ids are `v1`, `v2`, … per match.
 * - One ticket per player and mode (a new one replaces it); tickets end with the socket.
 */
export { createGame, defineGame, DEFAULT_API_PATH, DEFAULT_GAME_PATH, GameSessions, type GameMount, type GameOptions } from "./mount.js";
export type { ChannelGate } from "./session.js";
export { defineMatch, MatchError, type Match, type MatchContext, type MatchDefinition, type MatchInput } from "./define-match.js";
export { same, within, type MatchRule, type ModeDefinition, type Ticket, type TicketProperties } from "./modes.js";
export { VOTE_METHODS, type VoteMethod, type VoteOption, type VoteResult, type VoteSpec, type VoteVisibility } from "./votes.js";
export { DEFAULT_GAME_LIMITS, type GameLimits } from "./limits.js";
export { devTokenVerifier, type TokenVerifier } from "../rooms/tokens.js";
export { MatchmakingState } from "../rooms/matchmaking-state.js";
export * from "./wire.js";
