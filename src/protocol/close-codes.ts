/**
 * WebSocket close codes yparty uses, in one place for server, provider and tests.
 * 1xxx are the standard codes (RFC 6455 §7.4.1); 4xxx are ours (private-use range).
 */
export const CloseCode = {
  /** Normal close. */
  Normal: 1000,
  /** The server is shutting down. */
  GoingAway: 1001,
  /** A frame the y-protocols decoder cannot read (truncated varint, unknown type, trailing bytes). */
  InvalidMessage: 1007,
  /** A frame over the server's size limit. */
  MessageTooBig: 1009,
  /** User code threw while handling this connection; details are in the server log only. */
  InternalError: 1011,
  /** The server reloaded its code (`yparty dev`); reconnect. */
  ServiceRestart: 1012,
  /** The room could not load (storage failure); reconnect later. */
  TryAgainLater: 1013,
  /** The client never read: its unsent data grew past the per-connection cap. */
  SendBufferFull: 4008,
  /** Another connection with the same id (`_pk`) joined the room and replaced this one. Do not reconnect as is. */
  Replaced: 4009,
  /** Authentication missing or invalid (`onBeforeConnect` answered 401). Do not reconnect as is. */
  Unauthorized: 4401,
  /** Authenticated but not allowed (`onBeforeConnect` answered 403). Do not reconnect as is. */
  Forbidden: 4403,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** The most UTF-8 bytes of a close reason yparty sends (a close frame holds 123). */
export const MAX_CLOSE_REASON_BYTES = 120;

/** `reason`, cut (at a whole character) to fit a close frame. */
export function fitCloseReason(reason: string): string {
  const encoder = new TextEncoder();
  if (encoder.encode(reason).length <= MAX_CLOSE_REASON_BYTES) return reason;
  let cut = reason.slice(0, MAX_CLOSE_REASON_BYTES);
  while (encoder.encode(cut).length > MAX_CLOSE_REASON_BYTES) cut = cut.slice(0, -1);
  return cut;
}
