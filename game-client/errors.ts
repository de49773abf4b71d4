/** Why a request of the game client failed. */
export type GameRequestErrorKind =
  /** The server answered `error` (socket) or a non-2xx status (REST); `message` holds its reason. */
  | "refused"
  /** No answer within the request's timeout. */
  | "timeout"
  /** Not connected when sent, or the connection was lost (or the client closed) before the answer. */
  | "disconnected";

export class GameRequestError extends Error {
  override readonly name = "GameRequestError";
  constructor(
    readonly kind: GameRequestErrorKind,
    message: string,
    /** The request's message type, or `METHOD /api/path`. */
    readonly request?: string,
    /** The HTTP status of a refused REST call. */
    readonly status?: number,
    /** The `code` of the server's `error` (`GameErrorCode`, Nakama's codes: 4 no such match, 5 the join refused, …). */
    readonly code?: number,
  ) {
    super(message);
  }
}
