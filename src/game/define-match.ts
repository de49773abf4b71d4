/**
 * `defineMatch`: the logic of an authoritative match. The hooks get the match's state (theirs to change in place),
 * and a `MatchContext`. Inputs are queued as they arrive and applied at the next tick, in arrival order, each with
 * `onInput`; then `onTick` runs and every player gets `match.state` (what `getState` returns).
 */
import type { Storage } from "../runtime/index.js";
import { RoomError } from "../rooms/define.js";
import type { VoteResult, VoteSpec } from "./votes.js";

export interface MatchInput {
  /** The sender's player id. */
  player: string;
  /** `match.input`'s payload, as the client sent it. */
  payload: Record<string, unknown>;
}

export interface MatchContext {
  readonly matchId: string;
  /** Ticks run so far (the one running counts). */
  readonly tick: number;
  /** Players in the match now, in join order (in `onJoin`, the joining player too; in `init`, none yet). */
  readonly players: readonly string[];
  /**
   * Ends the match: the open votes close with the ballots cast (`match.vote_result`, not `onVoteResult`), then
   * `match.finished {match_id, result}` to every player; no more ticks, inputs and votes are refused.
   */
  finish(result: Record<string, unknown>): void;
  /**
   * Starts a vote among the players (`match.vote_start` to each); its result comes when `window_ms` passes. Returns its id.
   * Throws `MatchError` for a bad spec, or past `maxOpenVotes` open votes (`maxOpenVotesPerPlayer` of one player's inputs).
   */
  startVote(spec: VoteSpec): string;
  /** Any message to every player, or to one. */
  broadcast(type: string, payload: unknown): void;
  send(player: string, type: string, payload: unknown): void;
  /** The match room's storage, for anything besides the state (which is stored by itself). */
  readonly storage: Storage;
  /** A notification to any player: `notification.new` now if online, else on its next connect (kept until read). Resolves with its id. */
  notify(player: string, notification: { type: string; subject: string; content?: Record<string, unknown> }): Promise<string>;
}

export interface MatchDefinition<S> {
  /** Ticks per second (1–60): inputs are applied, `onTick` runs and `match.state` goes out this often. */
  tickRate: number;
  /** Players per match (default `DEFAULT_MAX_PLAYERS`, 16; a mode's `size` is at most this). */
  maxPlayers?: number;
  /**
   * A matched match starts once all its matched players joined, or this long after its first join with those who
   * did (a player who dropped meanwhile does not hold the others forever). Default 30 000.
   */
  startTimeoutMs?: number;
  /** Vetoes each player may use in one match (default 0: no vetoes). */
  vetoTokensPerPlayer?: number;
  /** The first state. `players`: who the matchmaker matched (null for a match joined by id). */
  init(ctx: MatchContext, setup: { players: string[] | null }): S;
  onJoin?(state: S, player: string, ctx: MatchContext): void;
  /** One queued input, at its tick. Throw `MatchError` to answer the sender `error {reason}` (with its `cid`). */
  onInput?(state: S, input: MatchInput, ctx: MatchContext): void;
  onTick?(state: S, ctx: MatchContext): void;
  /** The payload of `match.state` (default: the state itself). */
  getState?(state: S, ctx: MatchContext): unknown;
  onLeave?(state: S, player: string, ctx: MatchContext): void;
  /** A vote of this match closed with a result (not called for a vetoed vote, nor for one `finish` closed). */
  onVoteResult?(state: S, result: VoteResult, ctx: MatchContext): void;
}

export interface Match<S = unknown> extends MatchDefinition<S> {
  readonly kind: "yparty.match";
}

export const DEFAULT_MAX_PLAYERS = 16;

export function defineMatch<S>(definition: MatchDefinition<S>): Match<S> {
  const { tickRate } = definition;
  if (typeof tickRate !== "number" || !(tickRate >= 1 && tickRate <= 60))
    throw new TypeError(`defineMatch: tickRate must be from 1 to 60, got ${String(tickRate)}`);
  if (typeof definition.init !== "function") throw new TypeError("defineMatch: init(ctx, setup) is required");
  const { maxPlayers } = definition;
  if (maxPlayers !== undefined && !(Number.isInteger(maxPlayers) && maxPlayers >= 1))
    throw new TypeError(`defineMatch: maxPlayers must be an integer of at least 1, got ${String(maxPlayers)}`);
  // Checked here, as tickRate is: a token count of -1 let a vote offer a veto no player could use (past the check of
  // startVote), 0.5 gave one veto; a startTimeoutMs of NaN or "30000" never started a match short of a player.
  const { vetoTokensPerPlayer } = definition;
  if (vetoTokensPerPlayer !== undefined && !(Number.isInteger(vetoTokensPerPlayer) && vetoTokensPerPlayer >= 0))
    throw new TypeError(
      `defineMatch: vetoTokensPerPlayer must be an integer of at least 0, got ${JSON.stringify(vetoTokensPerPlayer) ?? String(vetoTokensPerPlayer)}`,
    );
  const { startTimeoutMs } = definition;
  if (startTimeoutMs !== undefined && !(typeof startTimeoutMs === "number" && startTimeoutMs >= 0))
    throw new TypeError(
      `defineMatch: startTimeoutMs must be milliseconds, 0 or more (Infinity: wait for every matched player), got ${JSON.stringify(startTimeoutMs) ?? String(startTimeoutMs)}`,
    );
  return { ...definition, kind: "yparty.match" };
}

/**
 * Thrown by match logic: the player gets `error {reason: message}` (bad input, not a server fault). A rooms
 * `RoomError`, so one thrown by `init` or `onJoin` refuses the join with its reason (a full lobby, a ban).
 */
export class MatchError extends RoomError {
  override readonly name: string = "MatchError";
}
