/**
 * A `defineMatch` as a room type of the rooms protocol's authoritative rooms (`src/rooms/room-party.ts`): one live
 * instance per match, its state stored in `room.storage` (it survives unloads and restarts), join and leave hooks,
 * seats (`maxPlayers`), ticks while players are in, the room's alarm. The room does not sync its state to clients
 * (`syncState: false`): each tick sends `match.state` as the seed has it.
 *
 * Between the session and this room (the rooms link, `src/rooms/link.ts`), frames are `room.message`s: from the
 * session, `{type: "input" | "vote.cast" | "vote.veto", data: {cid?, payload}}`; to it, `{type: <game message type>,
 * data: {cid?, payload}}`, which the session sends on as `{cid?, type, payload}`. An `error` counts toward the
 * session's `maxProtocolErrors` unless its data says `counts: false`.
 *
 * The match starts when the players the matchmaker matched have all joined, or `startTimeoutMs` after its first
 * join (a match joined by id: at its first join); `match.started` goes to everyone at the next tick, and to each
 * later joiner (or player back on its kept seat) at the tick after its join, with the open votes and the result.
 */
import type { RoomApi, RoomType } from "../rooms/define.js";
import { defineRoomType, RoomError } from "../rooms/define.js";
import { GameErrorCode, GameMessage, isRecord } from "./wire.js";
import type { GameErrorCodeValue } from "./messages.js";
import { DEFAULT_MAX_PLAYERS, MatchError, type Match, type MatchContext } from "./define-match.js";
import { VoteBook } from "./vote-book.js";
import { checkBallot, tally, voteResult, type VoteRecord } from "./votes.js";
import type { Logger } from "../runtime/index.js";
import { PLAYER_PARTY } from "./parties.js";
import type { GameLimits } from "./limits.js";

/** What the room stores (`this.state` of the room type). */
export interface MatchRoomState {
  game: unknown;
  tick: number;
  /** The matched players (null: a match joined by id, which starts at its first join). */
  expected: string[] | null;
  started: boolean;
  /** The result, once finished. */
  finished: Record<string, unknown> | null;
}

export const DEFAULT_START_TIMEOUT_MS = 30_000;

/**
 * Link message types from the session. `again`: a client back within the reconnect window joined its seat again;
 * like a joiner it is told, at the next tick, what it may have missed (`match.started`, open votes, the result).
 */
export const MatchLink = { Input: "input", Cast: "vote.cast", Veto: "vote.veto", Again: "again" } as const;

interface QueuedInput {
  player: string;
  payload: Record<string, unknown>;
  cid?: string;
}

/** What one live match room keeps in memory besides its stored state. */
interface MatchMemory {
  inputs: QueuedInput[];
  /** Player → inputs queued for the next tick (at most `maxInputsPerTick`). */
  queued: Map<string, number>;
  /** The player whose input `onInput` is applying (a vote it starts counts as that player's). */
  applying?: string;
  /** Players that get `match.started` at the next tick (everyone when the match just started). */
  announce: Set<string>;
  /** `Date.now()` of this instance's first join (the start timeout counts from it). */
  firstJoinAt?: number;
  votes: VoteBook;
  ctx: MatchContext;
}

type Api = RoomApi<MatchRoomState>;

export function matchRoomType(
  match: Match<any>,
  limits: Pick<GameLimits, "maxOpenVotes" | "maxOpenVotesPerPlayer" | "maxInputsPerTick">,
  logger: () => Logger,
): RoomType<MatchRoomState> {
  const memories = new WeakMap<Api, MatchMemory>();
  const bookLimits = { maxOpen: limits.maxOpenVotes, maxOpenPerPlayer: limits.maxOpenVotesPerPlayer };
  const memory = (api: Api): MatchMemory => {
    let found = memories.get(api);
    if (!found) {
      const votes = new VoteBook(api.partyRoom.storage, bookLimits);
      memories.set(api, (found = { inputs: [], queued: new Map(), announce: new Set(), votes, ctx: matchContext(api) }));
    }
    return found;
  };

  const reply = (api: Api, player: string, type: string, payload: unknown, cid?: string) =>
    api.send(player, type, cid === undefined ? { payload } : { cid, payload });
  /** A bad input, ballot or veto (a `MatchError`, a rate): an `error` the session counts toward `maxProtocolErrors`. */
  const refuse = (api: Api, player: string, reason: string, cid?: string) =>
    reply(api, player, GameMessage.Error, { code: GameErrorCode.BadInput, reason }, cid);
  /**
   * An input refused for the match's state, not for being bad (not started yet, finished), or for a fault of the
   * game's logic: an `error` the session does not count toward `maxProtocolErrors` (a client's game loop may run a
   * little ahead of `match.started`; a client that hit a bug of the game did nothing wrong).
   */
  const refuseUncounted = (api: Api, player: string, reason: string, cid?: string, code: GameErrorCodeValue = GameErrorCode.BadInput) =>
    api.send(player, GameMessage.Error, { ...(cid === undefined ? {} : { cid }), payload: { code, reason }, counts: false });
  const broadcast = (api: Api, type: string, payload: unknown) => api.broadcast(type, { payload });

  function matchContext(api: Api): MatchContext {
    return {
      matchId: api.room,
      get tick() {
        return api.state.tick;
      },
      // Seated, not only connected: a player whose seat was kept across a restart is still in the match.
      get players() {
        return api.seated; // in onJoin, the joining player too
      },
      finish(result) {
        if (api.state.finished) return;
        // No ballot is taken after the finish: the open votes close now with those cast, each result before
        // match.finished (the match's last word). The logic is not told: the match is over.
        memory(api)
          .votes.closeAll((vote) => {
            vote.result = voteResult(vote);
            broadcast(api, GameMessage.VoteResult, vote.result);
          })
          .catch((error: unknown) => logger().error("game.vote_save_failed", { code: "ERR_INTERNAL", match: api.room, error }));
        api.state.finished = isRecord(result) ? result : { value: result };
        broadcast(api, GameMessage.MatchFinished, { match_id: api.room, result: api.state.finished });
        api.dispose(); // forgotten, stored state and votes, once its last player left
      },
      startVote(spec) {
        if (api.state.finished) throw new MatchError("vote: the match is finished (its votes take no ballots)");
        const { votes, applying } = memory(api);
        // Before anyone joined (init), the players are those the matchmaker matched; with none, nobody could cast.
        let voters = [...api.seated];
        if (voters.length === 0) voters = [...(api.state.expected ?? [])];
        if (voters.length === 0)
          throw new MatchError("vote: the match has no players yet (joined by id, before its first join): start it once one has joined (onJoin, onTick)");
        // Seed 002: a veto "requires veto_tokens_per_player > 0 and veto_enabled on the vote". A veto_enabled vote in
        // a match that gives no tokens would show every client a veto it can never use.
        if (isRecord(spec) && spec.veto_enabled === true && !(match.vetoTokensPerPlayer ?? 0))
          throw new MatchError("vote: veto_enabled needs vetoTokensPerPlayer > 0 in defineMatch (no player of this match has a veto token)");
        let started: ReturnType<VoteBook["start"]>;
        try {
          started = votes.start(spec, voters, Date.now(), applying);
        } catch (error) {
          throw new MatchError(`vote: ${(error as Error).message}`);
        }
        const { vote, saved } = started;
        saved.catch((error: unknown) => logger().error("game.vote_save_failed", { code: "ERR_INTERNAL", match: api.room, error }));
        broadcast(api, GameMessage.VoteStart, voteStart(vote));
        return vote.vote_id;
      },
      broadcast: (type, payload) => broadcast(api, type, payload),
      send: (player, type, payload) => reply(api, player, type, payload),
      storage: api.partyRoom.storage,
      notify(player, notification) {
        const sent = notify(api, player, notification);
        // Logged here, and so handled: a notify the logic does not await must not be an unhandled rejection (it ends a
        // Node process); one it awaits rejects all the same.
        sent.catch((error: unknown) => logger().warn("game.notify_failed", { code: "ERR_NOTIFY_FAILED", match: api.room, player, error }));
        return sent;
      },
    };
  }

  async function notify(api: Api, player: string, notification: { type: string; subject: string; content?: Record<string, unknown> }): Promise<string> {
    const answer = await api.partyRoom.context.parties[PLAYER_PARTY]!.get(player).fetch("/notify", { method: "POST", body: JSON.stringify(notification) });
    // The player room answers {id}, or the runtime's {error: {code, message}}.
    const body = (await answer.json().catch(() => ({}))) as { id?: string; error?: { message?: string } };
    if (!answer.ok || typeof body.id !== "string") throw new MatchError(`notify: ${body.error?.message ?? `answered ${answer.status}`}`);
    return body.id;
  }

  /** A hook of the match logic threw something other than a `MatchError`: a fault of the game, logged. */
  const fault = (api: Api, hook: string, error: unknown) => logger().error("room.hook_failed", { code: "ERR_HOOK_FAILED", hook, match: api.room, error });

  /** Closes due votes: the result to every player (and to the logic). */
  async function closeVotes(api: Api): Promise<void> {
    const { votes, ctx } = memory(api);
    await votes.load();
    await votes.closeDue(Date.now(), (vote) => {
      vote.result = voteResult(vote);
      broadcast(api, GameMessage.VoteResult, vote.result);
      try {
        match.onVoteResult?.(api.state.game, vote.result, ctx);
      } catch (error) {
        fault(api, "onVoteResult", error); // a throw here would stop the book from storing and re-arming: no vote would close again
      }
    });
  }

  async function cast(api: Api, player: string, data: { cid?: string; payload: Record<string, unknown> }): Promise<void> {
    const { votes } = memory(api);
    await votes.load();
    const vote = openVote(votes, data.payload.vote_id, Date.now());
    if (!vote.eligible.includes(player)) throw new MatchError(`only the players of the match when vote "${vote.vote_id}" started may vote`);
    let ballot: string[];
    try {
      ballot = checkBallot(vote, data.payload.option_id);
    } catch (error) {
      throw new MatchError((error as Error).message);
    }
    await votes.cast(vote, player, ballot);
    reply(api, player, GameMessage.VoteCast, { vote_id: vote.vote_id }, data.cid);
    if (vote.visibility === "live") {
      broadcast(api, GameMessage.VoteTally, {
        vote_id: vote.vote_id,
        tallies: tally(vote),
        time_remaining_ms: Math.max(0, vote.closes_at - Date.now()),
        total_votes: vote.ballots.size,
      });
    }
  }

  async function veto(api: Api, player: string, data: { cid?: string; payload: Record<string, unknown> }): Promise<void> {
    const { votes } = memory(api);
    await votes.load();
    const vote = openVote(votes, data.payload.vote_id, Date.now());
    if (!vote.veto_enabled) throw new MatchError(`vote "${vote.vote_id}" cannot be vetoed (veto_enabled is false)`);
    if (!vote.eligible.includes(player)) throw new MatchError(`only the players of the match when vote "${vote.vote_id}" started may veto it`);
    const tokens = match.vetoTokensPerPlayer ?? 0;
    if (votes.vetoesUsed(player) >= tokens) throw new MatchError(`no veto tokens left (${tokens} per player in this match)`);
    await votes.veto(vote, player);
    reply(api, player, GameMessage.VoteVeto, { vote_id: vote.vote_id, veto_tokens_left: tokens - votes.vetoesUsed(player) }, data.cid);
    broadcast(api, GameMessage.VoteVetoed, { vote_id: vote.vote_id, vetoed_by: player });
  }

  /** Applies the queued inputs in arrival order; a `MatchError` answers its sender, anything else is logged. */
  function applyInputs(api: Api, mem: MatchMemory): void {
    const inputs = mem.inputs.splice(0);
    mem.queued.clear();
    for (const input of inputs) {
      if (api.state.finished) {
        refuseUncounted(api, input.player, "the match is finished", input.cid);
        continue;
      }
      mem.applying = input.player;
      try {
        match.onInput?.(api.state.game, { player: input.player, payload: input.payload }, mem.ctx);
      } catch (error) {
        if (error instanceof MatchError) refuse(api, input.player, error.message, input.cid);
        else {
          fault(api, "onInput", error);
          refuseUncounted(api, input.player, "the match could not apply this input", input.cid, GameErrorCode.RuntimeException);
        }
      } finally {
        mem.applying = undefined;
      }
    }
  }

  function start(api: Api, mem: MatchMemory): void {
    if (api.state.started) return;
    api.state.started = true;
    // The connected: a player on a kept seat is announced as it joins again (onJoin).
    for (const player of api.clients) mem.announce.add(player);
  }

  return defineRoomType<MatchRoomState>({
    maxClients: match.maxPlayers ?? DEFAULT_MAX_PLAYERS,
    tickMs: Math.round(1000 / match.tickRate),
    syncState: false,
    onCreate() {
      memories.delete(this); // a match created again under the id of one that finished starts with nothing of it
      // The players the matchmaker matched it for (none have joined yet: this is the first join).
      const expected = this.awaited.length > 0 ? [...this.awaited] : null;
      this.state = { game: null, tick: 0, expected, started: false, finished: null };
      this.state.game = match.init(memory(this).ctx, { players: expected });
    },
    async onJoin(player) {
      const mem = memory(this);
      await mem.votes.load();
      match.onJoin?.(this.state.game, player, mem.ctx);
      mem.announce.add(player);
      mem.firstJoinAt ??= Date.now();
      const { expected } = this.state;
      if (expected === null || expected.every((p) => p === player || this.seated.includes(p))) start(this, mem);
    },
    async onLeave(player) {
      const mem = memory(this);
      mem.announce.delete(player);
      // Its queued inputs go with the seat: applied after onLeave, they would bring the player back into the state.
      mem.inputs = mem.inputs.filter((input) => input.player !== player);
      mem.queued.delete(player);
      await mem.votes.load(); // its logic may finish the match, which closes the open votes (after a restart: stored)
      match.onLeave?.(this.state.game, player, mem.ctx);
      if (this.state.finished) this.dispose(); // also after a restart, when the seats kept meanwhile expire
    },
    onInput({ type, data, sender }) {
      const message = data as { cid?: string; payload: Record<string, unknown> };
      switch (type) {
        case MatchLink.Input: {
          const refusal = !this.state.started
            ? "the match has not started (waiting for its players)"
            : this.state.finished
              ? "the match is finished"
              : undefined;
          if (refusal) return refuseUncounted(this, sender, refusal, message.cid);
          const mem = memory(this);
          const queued = mem.queued.get(sender) ?? 0;
          if (queued >= limits.maxInputsPerTick)
            return refuse(this, sender, `too many inputs: at most ${limits.maxInputsPerTick} per player per tick (maxInputsPerTick)`, message.cid);
          mem.queued.set(sender, queued + 1);
          mem.inputs.push({ player: sender, payload: message.payload, ...(message.cid === undefined ? {} : { cid: message.cid }) });
          return;
        }
        case MatchLink.Again:
          memory(this).announce.add(sender);
          return;
        case MatchLink.Cast:
        case MatchLink.Veto:
          // As an input after the end: not counted (a client may cast before match.finished reaches it).
          if (this.state.finished) return refuseUncounted(this, sender, "the match is finished: its votes take no more ballots or vetoes", message.cid);
          return (type === MatchLink.Cast ? cast : veto)(this, sender, message).catch((error: unknown) => {
            if (!(error instanceof MatchError)) throw error;
            refuse(this, sender, error.message, message.cid);
          });
        default:
          throw new RoomError(`unknown link message "${type}"`);
      }
    },
    onTick() {
      const mem = memory(this);
      if (!this.state.started && Date.now() - (mem.firstJoinAt ?? Date.now()) >= (match.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS)) start(this, mem);
      if (!this.state.started) return;
      if (mem.announce.size > 0) {
        const started = { match_id: this.room, players: [...this.seated] };
        for (const player of mem.announce) {
          reply(this, player, GameMessage.MatchStarted, started);
          for (const vote of mem.votes.open()) reply(this, player, GameMessage.VoteStart, voteStart(vote));
          if (this.state.finished) reply(this, player, GameMessage.MatchFinished, { match_id: this.room, result: this.state.finished });
        }
        mem.announce.clear();
      }
      if (this.state.finished) return;
      this.state.tick++;
      applyInputs(this, mem);
      if (!this.state.finished) match.onTick?.(this.state.game, mem.ctx);
      if (this.state.finished) return; // finished by an input or this tick: match.finished was the last word
      broadcast(this, GameMessage.MatchState, match.getState ? match.getState(this.state.game, mem.ctx) : this.state.game);
    },
    onAlarm() {
      return closeVotes(this);
    },
  });
}

/** The vote `voteId` names, open; a `MatchError` says why not. */
function openVote(votes: VoteBook, voteId: unknown, now: number): VoteRecord {
  if (typeof voteId !== "string") throw new MatchError("payload.vote_id must be a string");
  const vote = votes.get(voteId);
  if (!vote) throw new MatchError(`no vote "${voteId}" in this match`);
  if (vote.status === "vetoed") throw new MatchError(`vote "${voteId}" was vetoed by ${vote.vetoed_by}`);
  if (vote.status === "closed" || vote.closes_at <= now) throw new MatchError(`vote "${voteId}" is closed (its window has passed)`);
  return vote;
}

/** `match.vote_start`'s payload; a late joiner's also says how long is left. */
function voteStart(vote: VoteRecord): Record<string, unknown> {
  const { vote_id, options, window_ms, method, visibility, veto_enabled } = vote;
  return { vote_id, options, window_ms, method, visibility, veto_enabled, time_remaining_ms: Math.max(0, vote.closes_at - Date.now()) };
}
