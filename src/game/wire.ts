/**
 * Seed 002's frames: JSON text `{"cid"?, "type", "payload"}` both ways. A reply to a message that carried `cid`
 * echoes it. Dependency-free, so a client may share it.
 */

export interface GameEnvelope<P = Record<string, unknown>> {
  cid?: string;
  type: string;
  payload: P;
}

/** Every message type of the protocol. */
export const GameMessage = {
  Error: "error",
  SessionConnect: "session.connect",
  SessionConnected: "session.connected",
  SessionHeartbeat: "session.heartbeat",
  MatchJoin: "match.join",
  MatchInput: "match.input",
  MatchLeave: "match.leave",
  MatchStarted: "match.started",
  MatchState: "match.state",
  MatchFinished: "match.finished",
  MatchmakerAdd: "matchmaker.add",
  MatchmakerRemove: "matchmaker.remove",
  MatchmakerMatched: "matchmaker.matched",
  ChatJoin: "chat.join",
  ChatLeave: "chat.leave",
  ChatSend: "chat.send",
  ChatMessage: "chat.message",
  VoteCast: "vote.cast",
  VoteVeto: "vote.veto",
  VoteStart: "match.vote_start",
  VoteTally: "match.vote_tally",
  VoteResult: "match.vote_result",
  VoteVetoed: "match.vote_vetoed",
  PresenceUpdate: "presence.update",
  PresenceChanged: "presence.changed",
  NotificationNew: "notification.new",
} as const;

/** Close codes of the game socket (besides the runtime's, e.g. 1001 at shutdown). */
export const GameCloseCode = {
  /** Too many bad frames. */
  BadRequest: 4400,
  /** The token of `session.connect` was refused. */
  Unauthorized: 4401,
  /** No frame (e.g. `session.heartbeat`) within the session timeout, or no `session.connect` within it. */
  SessionTimeout: 4408,
  /** Too slow: the client does not read its messages (the runtime's send cap, `socket.send_buffer_full`). */
  TooSlow: 4008,
  /** Another socket connected as the same player and took the session over. */
  Replaced: 4009,
} as const;

export class GameWireError extends Error {
  override readonly name = "GameWireError";
  constructor(
    message: string,
    /** The frame's `cid`, when it had one, so even a wrong envelope gets its error correlated. */
    readonly cid?: string,
  ) {
    super(message);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses a client frame (a missing payload is `{}`). Throws `GameWireError` with the reason. */
export function parseEnvelope(text: string): GameEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GameWireError("the frame is not valid JSON");
  }
  if (!isRecord(value)) throw new GameWireError('a frame is a JSON object {"cid"?, "type", "payload"}');
  const { cid, type, payload = {} } = value;
  if (cid !== undefined && typeof cid !== "string") throw new GameWireError("cid must be a string");
  if (typeof type !== "string" || type === "") throw new GameWireError("type must be a non-empty string", cid);
  if (!isRecord(payload)) throw new GameWireError("payload must be an object", cid);
  return { ...(cid === undefined ? {} : { cid }), type, payload };
}

export function envelopeJson(type: string, payload: unknown, cid?: string): string {
  return JSON.stringify(cid === undefined ? { type, payload } : { cid, type, payload });
}
