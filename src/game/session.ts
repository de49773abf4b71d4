/**
 * One player's session: the socket it speaks through, and its in-process connections to the game's rooms — its
 * player room (presence, notifications) while a socket is attached, its match (one at a time), its chat channels,
 * and the matchmakers of the modes it has tickets in. A session is per player: a second socket connecting as the
 * same player takes it over (the first is closed 4009). When the socket drops, the session keeps its seat in its
 * match for `reconnectWindowMs`, so a reconnect (`session.connect`, then `match.join` again) goes on where it was.
 *
 * Every request is answered with a message of its type carrying its `cid` (its result, if any) or with `error
 * {reason}` carrying it, except `match.input`, which is only answered when it fails.
 */
import type { WebSocket as WsSocket } from "ws";
import { CloseCode, type Logger, type SocketHost } from "../runtime/index.js";
import { newId } from "../rooms/ids.js";
import {
  type EchoedCid,
  GameCloseCode,
  GameErrorCode,
  GameMessage,
  type GameWireError,
  envelopeJson,
  errorJson,
  parseEnvelope,
  type GameEnvelope,
} from "./wire.js";
import { CHAT_PARTY, MATCHMAKER_ROOM, matchmakerPartyName, PLAYER_PARTY } from "./parties.js";
import { MatchSeat, type SeatOwner } from "./match-seat.js";
import { matchNameOf } from "./matchmaker-party.js";
import { MatchLink } from "./match-room.js";
import { checkProperties, type ModeDefinition, type TicketProperties } from "./modes.js";
import type { GameLimits } from "./limits.js";
import type { ChatRate } from "./chat-rate.js";
import { cidOf, RoomLink, type RoomLinkOwner } from "./room-link.js";
import { DeliveredNotifications } from "./delivered-notifications.js";
import type { MatchNotices } from "../rooms/match-notices.js";
import type { ServedCode, ServedSession } from "../rooms/served-sessions.js";
import { AwayWindow } from "../rooms/away-window.js";
import type { TokenVerifier } from "../rooms/tokens.js";
import { AwayOutcomes } from "./away-outcomes.js";
import { type ChatMessage, chatMessageIdentity, type GameErrorCodeValue } from "./messages.js";
import { presenceOf, type Presence } from "./presence.js";

/** A mount's code as its sessions use it: that of the mount served now (src/rooms/served-sessions.ts), read each time. */
export interface GameCode extends ServedCode {
  matches: ReadonlySet<string>;
  modes: ReadonlyMap<string, ModeDefinition>;
  limits: GameLimits;
  /** `matchmaker.matched` frames kept for players whose socket dropped as their match was made. */
  notices: MatchNotices;
  verifyToken: TokenVerifier;
  /** Who may join a chat channel (`createGame({ canJoinChannel })`); absent: anyone. */
  canJoinChannel?: ChannelGate;
}

/** What every session on one server shares, across the mounts a reload of the code replaces. */
export interface GameContext {
  host: SocketHost;
  logger: Logger;
  /** Sessions by player; a session removes itself when it ends. */
  sessions: Map<string, GameSession>;
  /** Chat messages per player (not per session: a reconnect does not reset it). */
  chatRate: ChatRate;
  /** The served mount's code. */
  served: { readonly code: GameCode };
}

/** `createGame({ canJoinChannel })`: whether `player` may join chat channel `channelId`. */
export type ChannelGate = (player: string, channelId: string) => boolean | Promise<boolean>;

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/** An `error` as `envelopeJson` writes it (`{"cid"?, "type": "error", …}`): rooms' frames are told apart without parsing. */
const ERROR_FRAME = /^\{(?:"cid":"(?:[^"\\]|\\.)*",)?"type":"error",/;
const CHANNEL_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const NOT_TEXT = "frames are JSON text";

/**
 * A frame over `maxMessageBytes` closes its socket 1009 (true); before `session.connect` too. What the client sent
 * after it is not read (as the runtime's own refusal drops it): its client got no answer and sends it again.
 */
export function closedIfTooBig(ws: WsSocket, data: Buffer, limits: GameLimits): boolean {
  if (data.length <= limits.maxMessageBytes) return false;
  ws.removeAllListeners("message"); // the game's own (connect.ts, the session): a game socket has no other
  ws.close(CloseCode.MessageTooBig, `Message too big: at most ${limits.maxMessageBytes} bytes`);
  return true;
}

export class GameSession implements ServedSession {
  #ws: WsSocket | undefined;
  #player: RoomLink | undefined;
  /** The last accepted `presence.update`'s presence, told the player room again after a reload. */
  #presence: Presence | undefined;
  #match: MatchSeat | undefined;
  /** How the match's votes ended while no socket was attached: sent to the next one (away-outcomes.ts). */
  readonly #away = new AwayOutcomes();
  /** Requests passed to the match (with a cid) that it has not answered yet. */
  readonly #owed: Array<{ cid: string; type: string }> = [];
  readonly #chats = new Map<string, RoomLink>();
  /** Channels left whose link still waits for the answers it is owed (a join at once takes it back). */
  readonly #leavingChats = new Map<string, RoomLink>();
  /** Channels whose join kept a leaving link: the join's cid and the live frames held until its answer (#fromChat). */
  readonly #chatHolds = new Map<string, { cid: string; frames: string[] }>();
  /** Channels whose `chat.join` waits for `canJoinChannel`'s promise, with its cid (each its own entry: a leave forgets it). */
  readonly #chatJoins = new Map<string, { cid: string | undefined }>();
  readonly #matchmakers = new Map<string, RoomLink>();
  /** Ticket id → its mode and properties (added again after a reload). */
  readonly #tickets = new Map<string, { mode: string; properties: TicketProperties }>();
  /** Stops the match notices kept for the player coming to this socket (set while one is attached). */
  #unlisten: (() => void) | undefined;
  #errors = 0;
  /**
   * While a socket is attached: it is closed once the served code's `sessionTimeoutMs` passed since the client's last
   * frame (a reload that changes it holds for an open socket at once, as the away window does).
   */
  readonly #idle = new AwayWindow(
    () => this.#code.limits.sessionTimeoutMs,
    () => this.#ws?.close(GameCloseCode.SessionTimeout, "Session timed out (no heartbeat)"),
  );
  /** While the session has no socket: it ends when the served code's `reconnectWindowMs` since the socket went is up. */
  readonly #awayWindow = new AwayWindow(
    () => this.#code.limits.reconnectWindowMs,
    () => this.end(),
  );
  #ended = false;

  constructor(
    readonly player: string,
    private readonly ctx: GameContext,
  ) {
    ctx.sessions.set(player, this);
  }

  /** The served mount's code (a reload with a new mount swaps it under an open session too). */
  get #code(): GameCode {
    return this.ctx.served.code;
  }

  /** Speaks through `ws` from now on; answers `session.connected`. */
  attach(ws: WsSocket, cid: string | undefined): void {
    const previous = this.#ws;
    if (previous) {
      this.#detach();
      previous.close(GameCloseCode.Replaced, "Replaced by a newer session of the same player");
    }
    this.#awayWindow.stop();
    this.#ws = ws;
    this.#errors = 0;
    ws.on("message", this.#onFrame);
    ws.on("close", this.#onClose);
    // The match it is in: a client whose join's answer went with the lost socket learns of it here.
    const inMatch = this.#match ? { match_id: this.#match.matchId } : {};
    this.#send(envelopeJson(GameMessage.SessionConnected, { player_id: this.player, ...inMatch }, cid));
    for (const frame of this.#away.take()) this.#send(frame); // before anything the match sends from now on
    // A match made for the player whose matchmaker.matched found no socket (a new session of the player is told too).
    this.#unlisten = this.#code.notices.listen(this.player, (notice) => this.#tellMatched(notice.queue, notice.frame));
    const delivered = new DeliveredNotifications(this.#code.limits.maxNotifications);
    this.#player = this.#link(PLAYER_PARTY, this.player, newId(9), {
      onMessage: (frame) => {
        if (delivered.firstTime(frame)) this.#forward(frame);
      },
      reopened: (link) => {
        if (this.#presence) link.send(GameMessage.PresenceUpdate, this.#presence, true);
      },
    });
    this.#touch();
  }

  /** Frames that arrived while `session.connect` was being checked, in order (`null`: a binary one). */
  replay(frames: ReadonlyArray<string | null>): void {
    for (const frame of frames) {
      if (!this.#ws) return;
      if (frame === null) this.#bad(undefined, NOT_TEXT);
      else this.#receive(frame);
    }
  }

  readonly #onFrame = (data: Buffer, isBinary: boolean): void => {
    if (closedIfTooBig(this.#ws!, data, this.#code.limits)) return;
    if (isBinary) return this.#bad(undefined, NOT_TEXT);
    this.#receive(data.toString("utf8"));
  };

  readonly #onClose = (): void => {
    this.#detach();
    this.#ws = undefined;
    if (!this.#match) return this.end();
    this.#awayWindow.start();
  };

  /**
   * Another mount's code is served (a reload): a session away is kept for its `reconnectWindowMs`, and an open one
   * timed out by its `sessionTimeoutMs`, not the last one's.
   */
  codeServed(): void {
    this.#awayWindow.retime();
    this.#idle.retime();
  }

  /** What lives only while a socket is attached: presence, chat channels, matchmaking tickets. */
  #detach(): void {
    this.#idle.stop();
    this.#unlisten?.();
    this.#unlisten = undefined;
    this.#ws?.off("message", this.#onFrame);
    this.#ws?.off("close", this.#onClose);
    this.#player?.close("Offline");
    this.#player = undefined;
    this.#presence = undefined;
    this.#owed.length = 0; // nobody left to answer
    for (const chat of [...this.#chats.values(), ...this.#leavingChats.values()]) chat.close("Offline");
    this.#chats.clear();
    this.#leavingChats.clear();
    this.#chatHolds.clear();
    this.#chatJoins.clear();
    const queues = [...this.#matchmakers.values()];
    this.#matchmakers.clear(); // first: their closes below are the session's, not the matchmakers'
    for (const queue of queues) queue.close("Offline"); // a match found now could not reach the player
    this.#tickets.clear();
  }

  /** A link to one of the socket's rooms; `on.reopened` announces the session again after a reload. */
  #link(party: string, room: string, id: string, on: Omit<RoomLinkOwner, "answer">, answered?: (frame: string) => void): RoomLink {
    return new RoomLink(this.ctx.host, party, room, id, {
      ...on,
      answer: (frame) => {
        this.#send(frame);
        answered?.(frame);
      },
    });
  }

  /** Leaves the match too, and forgets the session. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#awayWindow.stop();
    if (this.ctx.sessions.get(this.player) === this) this.ctx.sessions.delete(this.player);
    this.#detach();
    this.#match?.leave("Session ended");
    this.#match = undefined;
    this.#away.clear();
  }

  /** The session timeout starts again with every frame from the client. */
  #touch(): void {
    this.#idle.start();
  }

  // ---- from the client ---------------------------------------------------------------------------

  #receive(frame: string): void {
    this.#touch();
    let envelope: GameEnvelope;
    try {
      envelope = parseEnvelope(frame);
    } catch (error) {
      const wire = error as GameWireError;
      return this.#bad(wire.cid, wire.message);
    }
    const { cid, payload } = envelope;
    switch (envelope.type) {
      case GameMessage.SessionConnect:
        return this.#bad(cid, `already connected as "${this.player}"`);
      case GameMessage.SessionHeartbeat:
        return this.#send(envelopeJson(GameMessage.SessionHeartbeat, {}, cid));
      case GameMessage.MatchJoin:
        return this.#joinMatch(payload, cid);
      case GameMessage.MatchLeave:
        return this.#leaveMatch(cid);
      case GameMessage.MatchInput:
        return this.#toMatch(MatchLink.Input, payload, cid);
      case GameMessage.VoteCast:
        return this.#toMatch(MatchLink.Cast, payload, cid);
      case GameMessage.VoteVeto:
        return this.#toMatch(MatchLink.Veto, payload, cid);
      case GameMessage.MatchmakerAdd:
        return this.#addTicket(payload, cid);
      case GameMessage.MatchmakerRemove:
        return this.#removeTicket(payload, cid);
      case GameMessage.ChatJoin:
        return this.#joinChat(payload, cid, frame);
      case GameMessage.ChatLeave:
        return this.#leaveChat(payload, cid);
      case GameMessage.ChatSend:
        return this.#sendChat(payload, cid);
      case GameMessage.PresenceUpdate: {
        // One the player room refuses is not the player's presence (and what else the payload held is not kept).
        const presence = presenceOf(payload, this.#code.limits.maxPresenceMetadataBytes);
        if (!("refused" in presence)) this.#presence = presence;
        return this.#player?.request(frame, cid);
      }
      default:
        return this.#bad(cid, `unknown message type "${envelope.type}" (the client sends ${CLIENT_TYPES.join(", ")})`, GameErrorCode.UnrecognizedPayload);
    }
  }

  #joinMatch(payload: Record<string, unknown>, cid: string | undefined): void {
    const matchId = payload.match_id;
    if (typeof matchId !== "string" || !ID.test(matchId)) return this.#bad(cid, "payload.match_id must be a match id (letters, digits, _ . : -; at most 128)");
    const current = this.#match;
    if (current?.matchId === matchId) return current.joined ? current.joinedAgain(cid) : this.#bad(cid, `joining match "${matchId}" already`);
    if (current) return this.#bad(cid, `in match "${current.matchId}" already: leave it first (match.leave)`);
    if (!this.#code.matches.has(matchNameOf(matchId)))
      return this.#bad(
        cid,
        `no match "${matchId}": a match id ends with the name of a match (${[...this.#code.matches].join(", ")})`,
        GameErrorCode.MatchNotFound,
      );
    this.#owed.length = 0;
    try {
      this.#match = new MatchSeat(matchId, cid, this.ctx.host, this.player, this.#seatOwner);
    } catch (error) {
      return this.#bad(cid, (error as Error).message, GameErrorCode.RuntimeException); // the match is gone (a reload removed it) or the server is closing
    }
  }

  readonly #seatOwner: SeatOwner = {
    send: (frame, type) => {
      // No socket to take it (lost, or closing): kept if the rejoin would not tell it again.
      if (type !== undefined && !this.#socketOpen()) return this.#away.hold(type, frame);
      this.#send(this.#paid(frame));
    },
    refused: (frame) => this.#refused(this.#paid(frame)),
    lost: (seat) => {
      if (this.#match !== seat) return;
      this.#match = undefined;
      this.#away.clear();
      this.#unanswered(seat, seat.joined ? "closed" : "was not joined");
    },
    retaken: (seat) => {
      if (this.#match === seat) this.#unanswered(seat, "was reloaded before this was answered (it may have been applied): send it again");
    },
  };

  #leaveMatch(cid: string | undefined): void {
    const seat = this.#match;
    if (!seat) return this.#bad(cid, "not in a match");
    this.#match = undefined;
    this.#away.clear();
    seat.leave("Left the match");
    this.#unanswered(seat, "was left before this was answered (it may have been applied)");
    this.#send(envelopeJson(GameMessage.MatchLeave, { match_id: seat.matchId }, cid));
  }

  /** An input or a vote, to the match the session is in. */
  #toMatch(type: string, payload: Record<string, unknown>, cid: string | undefined): void {
    if (!this.#match) return this.#bad(cid, "not in a match (match.join first)");
    // Votes are answered; inputs only when refused, which a match not joined yet still may do (it holds them).
    if (cid !== undefined && (type !== MatchLink.Input || !this.#match.joined)) this.#owed.push({ cid, type });
    this.#match.forward(type, payload, cid);
  }

  /** A match's frame that answers an owed request settles it. */
  #paid(frame: string): string {
    if (this.#owed.length === 0) return frame;
    const cid = cidOf(frame);
    const index = cid === undefined ? -1 : this.#owed.findIndex((owed) => owed.cid === cid);
    if (index >= 0) this.#owed.splice(index, 1);
    return frame;
  }

  /**
   * The match's link to `seat` is gone (left, closed, or the join refused): what the match had not answered yet is
   * answered `error` here, except the inputs of a joined seat (answered only when refused, which they were not).
   */
  #unanswered(seat: MatchSeat, why: string): void {
    for (const { cid, type } of this.#owed.splice(0)) {
      if (seat.joined && type === MatchLink.Input) continue;
      this.#send(errorJson(`match "${seat.matchId}" ${why} (${type === MatchLink.Input ? "match.input" : type})`, cid, GameErrorCode.RuntimeException));
    }
  }

  #addTicket(payload: Record<string, unknown>, cid: string | undefined): void {
    const mode = payload.mode;
    if (typeof mode !== "string" || !this.#code.modes.has(mode))
      return this.#bad(cid, `payload.mode must be one of: ${[...this.#code.modes.keys()].join(", ")}`);
    let properties;
    try {
      properties = checkProperties(payload.properties);
    } catch (error) {
      return this.#bad(cid, (error as Error).message);
    }
    // Told late (its socket dropped as it was made), the client may have added it before it read matchmaker.matched.
    const late = this.#code.notices.toldLate(this.player, mode);
    if (late) {
      const reason = `matched already while the connection was away (matchmaker.matched, match "${late.room}"): join it; add a ticket again once it is joined or its seat has expired`;
      return this.#send(errorJson(reason, cid));
    }
    // maxPerSession counts modes with a ticket: a removed or matched one frees its place (its link may stay open).
    const modes = new Set([...this.#tickets.values()].map((ticket) => ticket.mode));
    if (!modes.has(mode) && modes.size >= this.#code.limits.maxPerSession)
      return this.#bad(cid, `tickets in ${this.#code.limits.maxPerSession} modes already (maxPerSession): remove one first`);
    let queue = this.#matchmakers.get(mode);
    if (!queue?.open) {
      try {
        queue = this.#matchmakerLink(mode);
      } catch (error) {
        // The mode is gone from the server's code (a `dev` reload removed it): the server's doing, not a bad frame.
        return this.#send(errorJson(`matchmaker of mode "${mode}" unavailable: ${(error as Error).message}`, cid, GameErrorCode.RuntimeException));
      }
      this.#matchmakers.set(mode, queue);
    }
    // One ticket per mode: a new one replaces the earlier.
    for (const [ticket, waiting] of this.#tickets) if (waiting.mode === mode) this.#tickets.delete(ticket);
    const ticketId = newId(12);
    this.#tickets.set(ticketId, { mode, properties });
    queue.send(GameMessage.MatchmakerAdd, { ticket_id: ticketId, properties });
    this.#send(envelopeJson(GameMessage.MatchmakerAdd, { ticket_id: ticketId }, cid));
  }

  /** The link to `mode`'s matchmaker (throws when the server's code has no such party). */
  #matchmakerLink(mode: string): RoomLink {
    return this.#link(matchmakerPartyName(mode), MATCHMAKER_ROOM, this.player, {
      onMessage: (frame) => this.#matchedFrame(mode, frame),
      // Tickets live in the matchmaker's memory: after a reload the ticket waits again, under its id.
      reopened: (link) => {
        for (const [ticketId, ticket] of this.#tickets)
          if (ticket.mode === mode) link.send(GameMessage.MatchmakerAdd, { ticket_id: ticketId, properties: ticket.properties });
      },
      // The matchmaker closed it for good (its mode gone after a `dev` reload): its tickets wait no more, and the
      // client is told so (the session's own closes take the link out of the map first).
      closed: (link) => {
        if (this.#matchmakers.get(mode) !== link) return;
        this.#matchmakers.delete(mode);
        for (const [ticketId, ticket] of this.#tickets) {
          if (ticket.mode !== mode) continue;
          this.#tickets.delete(ticketId);
          this.#send(errorJson(`ticket "${ticketId}" no longer waits: the matchmaker of mode "${mode}" closed`, undefined, GameErrorCode.RuntimeException));
        }
      },
    });
  }

  #removeTicket(payload: Record<string, unknown>, cid: string | undefined): void {
    const ticketId = payload.ticket_id;
    const mode = typeof ticketId === "string" ? this.#tickets.get(ticketId)?.mode : undefined;
    if (mode === undefined) return this.#bad(cid, `no ticket "${String(ticketId)}" waiting (matched, removed, or never added)`);
    this.#tickets.delete(ticketId as string);
    // The matchmaker answers: it may have matched the ticket already (`matchmaker.matched` on its way here).
    const frame = envelopeJson(GameMessage.MatchmakerRemove, { ticket_id: ticketId }, cid);
    const queue = this.#matchmakers.get(mode);
    if (queue) queue.request(frame, cid);
    else this.#send(frame);
  }

  #joinChat(payload: Record<string, unknown>, cid: string | undefined, frame: string): void {
    const channel = this.#channel(payload, cid);
    if (channel === undefined) return;
    const link = this.#chats.get(channel);
    if (link) return link.request(frame, cid); // answered with the history again
    if (this.#chatJoins.has(channel)) return this.#bad(cid, `already joining channel "${channel}"`);
    if (this.#chats.size + this.#chatJoins.size >= this.#code.limits.maxPerSession)
      return this.#bad(cid, `in ${this.#code.limits.maxPerSession} channels already: leave one first`);
    const allowed = this.#mayJoin(channel);
    if (typeof allowed === "boolean") return allowed ? this.#enterChat(channel, frame, cid) : this.#notAllowed(channel, cid);
    const join = { cid };
    this.#chatJoins.set(channel, join);
    void allowed.then((ok) => {
      if (this.#chatJoins.get(channel) !== join) return; // left, or went offline, meanwhile
      this.#chatJoins.delete(channel);
      if (ok) this.#enterChat(channel, frame, cid);
      else this.#notAllowed(channel, cid);
    });
  }

  /** `canJoinChannel`'s answer (a throw or a rejection, logged, is a no). */
  #mayJoin(channel: string): boolean | Promise<boolean> {
    const gate = this.#code.canJoinChannel;
    if (!gate) return true;
    const failed = (error: unknown): false => {
      this.ctx.logger.error("game.hook_failed", { code: "ERR_HOOK_FAILED", hook: "canJoinChannel", player: this.player, channel, error });
      return false;
    };
    try {
      const answer = gate(this.player, channel);
      return typeof answer === "boolean" ? answer : Promise.resolve(answer).then((ok) => ok === true, failed);
    } catch (error) {
      return failed(error);
    }
  }

  #enterChat(channel: string, frame: string, cid: string | undefined): void {
    const leaving = this.#leavingChats.get(channel);
    this.#leavingChats.delete(channel);
    const stays = leaving?.stay() === true;
    // Kept: the room answers this join with the whole history, so what comes live until then waits for the answer.
    if (stays && cid !== undefined) this.#chatHolds.set(channel, { cid, frames: [] });
    const link = stays
      ? leaving!
      : this.#link(
          CHAT_PARTY,
          channel,
          this.player,
          {
            onMessage: (message) => this.#fromChat(channel, message),
            reopened: (again) => again.send(GameMessage.ChatJoin, { channel_id: channel, quiet: true }, true), // a member again after a reload
            closed: (gone) => {
              this.#chatHolds.delete(channel);
              if (this.#chats.get(channel) === gone) this.#chats.delete(channel);
              if (this.#leavingChats.get(channel) === gone) this.#leavingChats.delete(channel);
            },
          },
          (error) => this.#heldUntil(channel, error),
        ); // the link's own error (a reload cut the join off) ends a hold too
    this.#chats.set(channel, link);
    link.request(frame, cid); // answered with the history
  }

  /**
   * A channel's frame for the client. While a join that kept a leaving link waits for its answer (the whole history),
   * the messages that come live wait too, and go on after it unless the history has them: each reaches the client once.
   */
  #fromChat(channel: string, frame: string): void {
    const hold = this.#chatHolds.get(channel);
    if (!hold) return this.#forward(frame);
    const cid = cidOf(frame);
    if (cid === undefined) return void hold.frames.push(frame);
    this.#forward(frame);
    this.#heldUntil(channel, frame);
  }

  /** `frame` answers the join a hold waits for: the held frames go on, but those its history has. */
  #heldUntil(channel: string, frame: string): void {
    const hold = this.#chatHolds.get(channel);
    if (!hold || cidOf(frame) !== hold.cid) return;
    this.#chatHolds.delete(channel);
    const history = (JSON.parse(frame) as GameEnvelope<{ history?: ChatMessage[] }>).payload.history ?? [];
    const inHistory = new Set(history.map(chatMessageIdentity));
    for (const held of hold.frames) {
      const { type, payload } = JSON.parse(held) as GameEnvelope<ChatMessage>;
      if (type !== GameMessage.ChatMessage || !inHistory.has(chatMessageIdentity(payload))) this.#forward(held);
    }
  }

  /** Refused by `canJoinChannel`. */
  #notAllowed(channel: string, cid: string | undefined): void {
    this.#decline(cid, `not allowed in channel "${channel}"`);
  }

  /** A good frame refused (a rule of the game, a rate): an answer, not a protocol error (not counted toward `maxProtocolErrors`). */
  #decline(cid: string | undefined, reason: string): void {
    this.#send(errorJson(reason, cid));
  }

  #leaveChat(payload: Record<string, unknown>, cid: string | undefined): void {
    const channel = this.#channel(payload, cid);
    if (channel === undefined) return;
    const link = this.#chats.get(channel);
    const joining = this.#chatJoins.get(channel);
    if (!link && !joining) return this.#bad(cid, `not in channel "${channel}"`);
    this.#chats.delete(channel);
    if (link) {
      this.#leavingChats.set(channel, link);
      link.leave(); // after the channel answered what it was asked (a chat.send right before: it went out)
    }
    if (joining) {
      // The join still waited for canJoinChannel: it is answered, and does not happen.
      this.#chatJoins.delete(channel);
      this.#send(errorJson(`left channel "${channel}" before the join was decided`, joining.cid, GameErrorCode.RuntimeException));
    }
    this.#send(envelopeJson(GameMessage.ChatLeave, { channel_id: channel }, cid));
  }

  #sendChat(payload: Record<string, unknown>, cid: string | undefined): void {
    const channel = this.#channel(payload, cid);
    if (channel === undefined) return;
    const link = this.#chats.get(channel);
    if (!link) return this.#bad(cid, `not in channel "${channel}" (chat.join first)`);
    const { content } = payload;
    const { maxChatLength, chatMessagesPerWindow, chatRateWindowMs } = this.#code.limits;
    if (typeof content !== "string" || content.trim() === "" || content.length > maxChatLength)
      return this.#bad(cid, `payload.content must be a non-blank string of at most ${maxChatLength} characters`);
    if (!this.ctx.chatRate.take(this.player, Date.now(), chatMessagesPerWindow, chatRateWindowMs))
      return this.#decline(cid, `too many chat messages: at most ${chatMessagesPerWindow} per ${chatRateWindowMs / 1000} s`);
    // A key the channel knows the message by: sent again after a reload cut it off, it is answered, not stored twice.
    link.request(envelopeJson(GameMessage.ChatSend, { channel_id: channel, content, key: newId(12) }, cid), cid, true);
  }

  #channel(payload: Record<string, unknown>, cid: string | undefined): string | undefined {
    const channel = payload.channel_id;
    if (typeof channel === "string" && CHANNEL_ID.test(channel)) return channel;
    this.#bad(cid, "payload.channel_id must be a channel id (letters, digits, _ . : -; at most 64)");
    return undefined;
  }

  // ---- from the rooms ----------------------------------------------------------------------------

  /**
   * A frame a room wrote for the client (player and chat rooms speak the wire format). An `error` answers a frame
   * the session passed on (a bad `presence.update`): it counts toward `maxProtocolErrors`.
   */
  #forward(frame: string): void {
    if (ERROR_FRAME.test(frame)) this.#refused(frame);
    else this.#send(frame);
  }

  #matchedFrame(mode: string, frame: string): void {
    if (this.#tellMatched(mode, frame)) return;
    // The socket closing meanwhile: kept for the player's next socket (its seat is held).
    const { payload } = JSON.parse(frame) as GameEnvelope<{ match_id: string }>;
    this.#code.notices.hold(this.player, { queue: mode, roomType: matchNameOf(payload.match_id), room: payload.match_id, frame });
  }

  /**
   * A `matchmaker.matched` of `mode`, in time or late. The player's ticket in the mode is the match's, also one added
   * while the match was being made (the matchmaker let it go as it told): the mode has no ticket of this session now.
   */
  #tellMatched(mode: string, frame: string): boolean {
    for (const [ticketId, ticket] of this.#tickets) if (ticket.mode === mode) this.#tickets.delete(ticketId);
    return this.#tell(frame);
  }

  // ---- to the client -----------------------------------------------------------------------------

  #send(frame: string): void {
    this.#tell(frame);
  }

  /** Whether the session has a socket that takes frames now (not lost, not closing). */
  #socketOpen(): boolean {
    return this.#ws !== undefined && this.#ws.readyState === this.#ws.OPEN;
  }

  /** Sends `frame`; false when there is no open socket to take it. */
  #tell(frame: string): boolean {
    if (!this.#socketOpen()) return false;
    this.#ws!.send(frame);
    return true;
  }

  /** A bad frame: `error {reason}` with its `cid`; the `maxProtocolErrors`th closes the socket 4400. */
  #bad(cid: EchoedCid | undefined, reason: string, code: GameErrorCodeValue = GameErrorCode.BadInput): void {
    this.#refused(errorJson(reason, cid, code));
  }

  /** An `error` answering a bad frame, written by the session or by a room it passed the frame to. */
  #refused(frame: string): void {
    this.#send(frame);
    if (++this.#errors < this.#code.limits.maxProtocolErrors) return;
    this.#ws?.close(GameCloseCode.BadRequest, `Too many bad frames (${this.#code.limits.maxProtocolErrors})`);
  }
}

export const CLIENT_TYPES = [
  GameMessage.SessionConnect,
  GameMessage.SessionHeartbeat,
  GameMessage.MatchJoin,
  GameMessage.MatchInput,
  GameMessage.MatchLeave,
  GameMessage.MatchmakerAdd,
  GameMessage.MatchmakerRemove,
  GameMessage.ChatJoin,
  GameMessage.ChatLeave,
  GameMessage.ChatSend,
  GameMessage.VoteCast,
  GameMessage.VoteVeto,
  GameMessage.PresenceUpdate,
];
