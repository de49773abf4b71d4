/**
 * Between a session and a room party, over the runtime's in-process connection (text frames). The room sends wire
 * envelopes ready for a JSON client (with `room` in `p`), so a JSON session forwards them untouched, plus:
 * - `{"t":"~joined",…}` / `{"t":"~refused",…}`: the answer to a session's `~join`;
 * - `~u<key>\n<envelope>`: an unreliable message, coalesced per key (sender and type) under backpressure.
 * Sessions send `~join`, `~resume` (send me what I missed since my last ack) and the clients' envelopes.
 * A matchmaker answers a session's `matchmaking.dequeue` with `{"t":"~dequeued","p":{"left":bool}}` (false: the
 * session was matched already; `match.found` follows).
 */
export const Link = {
  Join: "~join",
  Joined: "~joined",
  Refused: "~refused",
  Resume: "~resume",
  Dequeued: "~dequeued",
} as const;

/** How every frame of the room's own kind starts (rooms write `t` first). */
export const INTERNAL_FRAME_PREFIX = '{"t":"~';
export const DEQUEUED_FRAME = `{"t":"${Link.Dequeued}"`;
export const ERROR_FRAME_PREFIX = '{"t":"error"';
export const UNRELIABLE_PREFIX = "~u";

export interface JoinRequest {
  player: string;
  options: Record<string, unknown>;
  /** The room must exist already (a named join of a room someone else created is fine either way). */
  create: boolean;
  /**
   * An unnamed `room.join_or_create` picked this room while it was not listed (being created for another join): a
   * private room sends it elsewhere (joined by name only). One picked from the listing is taken as a named join is.
   */
  unnamed?: true;
  /**
   * An unnamed `room.join_or_create` found this room listed (public, unlocked) with a free seat: its seat is as good as
   * a reservation Colyseus made there, and a `lock()` or `setPrivate()` after the pick lets it in.
   */
  listed?: true;
}

export function unreliableFrame(key: string, envelopeJson: string): string {
  return `${UNRELIABLE_PREFIX}${key}\n${envelopeJson}`;
}

/** `[key, envelopeJson]` of an unreliable frame. */
export function splitUnreliable(frame: string): [string, string] {
  const newline = frame.indexOf("\n");
  return [frame.slice(UNRELIABLE_PREFIX.length, newline), frame.slice(newline + 1)];
}
