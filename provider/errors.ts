/** Stable codes for what the provider reports through `connection-error`. */
export type ProviderErrorCode =
  /** The `params` function threw or rejected; the attempt is retried with backoff. */
  | "ERR_PARAMS"
  /** No WebSocket implementation: pass `WebSocketPolyfill` (Node 20 has no global WebSocket). */
  | "ERR_NO_WEBSOCKET"
  /** The WebSocket constructor threw (a malformed URL, for instance). */
  | "ERR_SOCKET_CREATE"
  /** A frame from the server the codec could not read; it was skipped. */
  | "ERR_BAD_FRAME";

export class ProviderError extends Error {
  override readonly name = "ProviderError";
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
