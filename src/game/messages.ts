/**
 * The game protocol's messages (seed 002, issue 15): JSON text frames `{cid?, type, payload}` on one WebSocket.
 * Every type, its direction and its payload, in one place that the client and the server can both import.
 * Browser-safe: types, constants and pure helpers only. docs/game.md explains each message; docs/game.asyncapi.yaml is the same
 * catalog as an AsyncAPI 3 document.
 */

/** A frame in either direction. `cid` is the client's correlation id; a reply echoes it. */
export interface GameFrame<T extends string = string, P = unknown> {
  cid?: string;
  type: T;
  payload: P;
}

/** Every message type of the catalog, client → server. */
export const ClientMessageType = {
  SessionConnect: "session.connect",
  SessionHeartbeat: "session.heartbeat",
  MatchJoin: "match.join",
  MatchInput: "match.input",
  MatchLeave: "match.leave",
  MatchmakerAdd: "matchmaker.add",
  MatchmakerRemove: "matchmaker.remove",
  ChatJoin: "chat.join",
  ChatLeave: "chat.leave",
  ChatSend: "chat.send",
  VoteCast: "vote.cast",
  VoteVeto: "vote.veto",
  PresenceUpdate: "presence.update",
} as const;

/** Every message type of the catalog, server → client. Replies to requests reuse the request's type. */
export const ServerMessageType = {
  SessionConnected: "session.connected",
  Error: "error",
  MatchStarted: "match.started",
  MatchState: "match.state",
  MatchFinished: "match.finished",
  MatchmakerMatched: "matchmaker.matched",
  ChatMessage: "chat.message",
  VoteStart: "match.vote_start",
  VoteTally: "match.vote_tally",
  VoteResult: "match.vote_result",
  VoteVetoed: "match.vote_vetoed",
  PresenceChanged: "presence.changed",
  NotificationNew: "notification.new",
} as const;

/** Close codes of the game socket (besides the runtime's, e.g. 1001 when the server shuts down). */
export const GameCloseCode = {
  /** Too many bad frames. */
  BadRequest: 4400,
  /** The token of `session.connect` was refused. */
  Unauthorized: 4401,
  /** No frame (e.g. `session.heartbeat`) within the session timeout, or no `session.connect` within it. */
  SessionTimeout: 4408,
  /** The client did not read its messages fast enough. */
  TooSlow: 4008,
  /** Another socket connected as the same player and took the session over. */
  Replaced: 4009,
} as const;

/**
 * The `code` of every `error` (seed 002 names none; these are Nakama's realtime error codes, `rtapi.Error.Code`, so a
 * client tells a missing match from a bad payload without reading the reason).
 */
export const GameErrorCode = {
  /** The server could not do it now (a room closed or restarted before answering, a match's logic failed): send it again. */
  RuntimeException: 0,
  /** An unknown message type. */
  UnrecognizedPayload: 1,
  /** A frame that breaks the protocol or a rule: not JSON, a wrong payload, a vote after its window, a rate exceeded. */
  BadInput: 3,
  /** `match.join` of a match id no match of the server's runs. */
  MatchNotFound: 4,
  /** `match.join` refused by the match (full, or its `init`/`onJoin` threw `MatchError`). */
  MatchJoinRejected: 5,
} as const;
export type GameErrorCodeValue = (typeof GameErrorCode)[keyof typeof GameErrorCode];

/** Both directions in one table, for code that handles either. */
export const GameMessage = { ...ClientMessageType, ...ServerMessageType } as const;

export type ClientMessageTypeName = (typeof ClientMessageType)[keyof typeof ClientMessageType];
export type ServerMessageTypeName = (typeof ServerMessageType)[keyof typeof ServerMessageType];

// ---- payloads, client → server -------------------------------------------------------------------------------

export interface SessionConnect {
  token: string;
}
export interface MatchJoin {
  match_id: string;
}
/** Whatever the match's `onInput` understands, e.g. `{action: "move", x: 10, y: 5}`. */
export type MatchInput = Record<string, unknown>;
export interface MatchmakerAdd {
  mode: string;
  properties?: Record<string, unknown>;
}
export interface MatchmakerRemove {
  ticket_id: string;
}
export interface ChatChannel {
  channel_id: string;
}
export interface ChatSend {
  channel_id: string;
  content: string;
}
export interface VoteCast {
  vote_id: string;
  /** One option id (plurality, weighted); a list for approval voting (every approved option) and ranked (best first). */
  option_id: string | string[];
}
export interface VoteVeto {
  vote_id: string;
}
export interface PresenceUpdate {
  /** e.g. "online", "away", "in_game". */
  status: string;
  metadata?: Record<string, unknown>;
}

export type Empty = Record<string, never>;

/** Client message type → its payload. */
export interface ClientMessages {
  "session.connect": SessionConnect;
  "session.heartbeat": Empty;
  "match.join": MatchJoin;
  "match.input": MatchInput;
  "match.leave": Empty;
  "matchmaker.add": MatchmakerAdd;
  "matchmaker.remove": MatchmakerRemove;
  "chat.join": ChatChannel;
  "chat.leave": ChatChannel;
  "chat.send": ChatSend;
  "vote.cast": VoteCast;
  "vote.veto": VoteVeto;
  "presence.update": PresenceUpdate;
}

// ---- payloads, server → client -------------------------------------------------------------------------------

export interface SessionConnected {
  player_id: string;
  /** The match the session is in (its seat kept since a lost socket), if any: a client that does not know it leaves it. */
  match_id?: string;
}
export interface ErrorPayload {
  /** One of `GameErrorCode` (Nakama's). */
  code: GameErrorCodeValue;
  reason: string;
}
export interface MatchStarted {
  match_id: string;
  /** Player ids. */
  players: string[];
}
export interface MatchFinished {
  match_id: string;
  result: Record<string, unknown>;
}
export interface MatchmakerMatched {
  match_id: string;
  /** Player ids. */
  players: string[];
}
export interface ChatMessage {
  /** The channel's id for this message (Nakama's ChannelMessage.message_id): two alike messages have two. */
  message_id: string;
  channel_id: string;
  sender_id: string;
  content: string;
  /** ISO 8601 UTC, e.g. "2026-04-15T10:30:00.000Z". */
  sent_at: string;
}
/**
 * What tells one chat message from another: its `message_id`; from a server that gives none (older than it), its
 * sender, time and content. The same message, met in a `chat.join` history and live, has the same one.
 */
export function chatMessageIdentity({ message_id, sender_id, sent_at, content }: ChatMessage): string {
  return typeof message_id === "string" ? message_id : `${sender_id}\n${sent_at}\n${content}`;
}
export type VoteMethod = "plurality" | "approval" | "ranked" | "weighted";
export type VoteVisibility = "live" | "hidden";
export interface VoteOption {
  id: string;
  label: string;
}
export interface VoteStart {
  vote_id: string;
  options: VoteOption[];
  window_ms: number;
  method: VoteMethod;
  /** yparty's additions to the seed's example. */
  visibility?: VoteVisibility;
  veto_enabled?: boolean;
  /** Less than `window_ms` for a player who joins while the vote runs. */
  time_remaining_ms?: number;
}
export interface VoteTally {
  vote_id: string;
  /** Option id → its count so far (its points for ranked, its weight for weighted). */
  tallies: Record<string, number>;
  time_remaining_ms: number;
  total_votes: number;
}
export interface VoteResult {
  vote_id: string;
  /** The winning option id; null when nobody voted. */
  winner: string | null;
  counts: Record<string, number>;
  /** Option id → its share of all counts (0…1). */
  distribution: Record<string, number>;
  total_votes: number;
  /** Voters ÷ players of the match (0…1). */
  turnout: number;
}
export interface VoteVetoed {
  vote_id: string;
  vetoed_by: string;
}
export interface PresenceChanged {
  player_id: string;
  status: string;
  /** The metadata of the `presence.update` that set `status`, if it had any (never with online or offline). */
  metadata?: Record<string, unknown>;
}
export interface Notification {
  id: string;
  /** e.g. "friend_request". */
  type: string;
  subject: string;
  content: Record<string, unknown>;
}

/** Server message type → its payload. `S` is the match's state (what its `getState` returns). */
export interface ServerMessages<S = unknown> {
  "session.connected": SessionConnected;
  error: ErrorPayload;
  "match.started": MatchStarted;
  "match.state": S;
  "match.finished": MatchFinished;
  "matchmaker.matched": MatchmakerMatched;
  "chat.message": ChatMessage;
  "match.vote_start": VoteStart;
  "match.vote_tally": VoteTally;
  "match.vote_result": VoteResult;
  "match.vote_vetoed": VoteVetoed;
  "presence.changed": PresenceChanged;
  "notification.new": Notification;
}

// ---- requests and their answers ------------------------------------------------------------------------------

/**
 * What answers each request sent with a `cid` (besides `error`): a message of the same type, carrying the cid and
 * this payload (`session.connect` is answered by `session.connected`). `match.input` is not a request: it is
 * answered only when refused.
 */
export interface RequestResults {
  "session.connect": SessionConnected;
  "session.heartbeat": Empty;
  "match.join": { match_id: string };
  "match.leave": { match_id: string };
  "matchmaker.add": { ticket_id: string };
  "matchmaker.remove": { ticket_id: string };
  /** The channel's recent history, oldest first. */
  "chat.join": { channel_id: string; history: ChatMessage[] };
  "chat.leave": { channel_id: string };
  "chat.send": { channel_id: string; message_id: string; sent_at: string };
  "vote.cast": { vote_id: string };
  "vote.veto": { vote_id: string; veto_tokens_left: number };
  "presence.update": { status: string };
}

export type RequestType = keyof RequestResults;

// ---- the REST API (`/api`, `Authorization: Bearer <token>`) ----------------------------------------------------

/** `GET /api/friends`: a friendship is mutual once both added each other; until then it is an invite. */
export interface Friend {
  player_id: string;
  state: "friend" | "invite_sent" | "invite_received";
  /** A friend's presence ("offline" when away); only for state `friend`. */
  status?: string;
  /** The metadata of the friend's last `presence.update`, if it had any; only for state `friend`. */
  metadata?: Record<string, unknown>;
}

/** `GET /api/notifications`: every kept notification, read or not. */
export interface StoredNotification extends Notification {
  /** ISO 8601 UTC. */
  created_at: string;
  read: boolean;
}
