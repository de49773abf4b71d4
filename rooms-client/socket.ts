/** The WebSocket both typed clients (rooms-client, game-client) drive: the browser's, or one passed in (`ws` in Node 20). */
export type WebSocketLike = {
  binaryType: string;
  readyState: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
};
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `given`, else the global WebSocket; throws when there is neither (Node 20 has no global WebSocket). */
export function webSocketConstructor(given: unknown): WebSocketConstructor {
  const Socket = (given ?? (globalThis as { WebSocket?: unknown }).WebSocket) as WebSocketConstructor | undefined;
  if (!Socket) throw new TypeError('No WebSocket: pass one as options.WebSocket (in Node 20: (await import("ws")).WebSocket)');
  return Socket;
}

/**
 * What a request still unanswered when the socket closed with `code` tells its caller. A shutdown (1001) is no fault of
 * the request: it says so, and what to do, since the typed clients reconnect by themselves but do not send it again.
 */
export function lostConnectionReason(code: number, reconnects: boolean): string {
  if (code !== 1001) return `the connection was lost (close ${code})`;
  const then = reconnects
    ? "send it again once the client is reconnected (it reconnects by itself, to this server back or another at the same address)"
    : "connect again later, or to another server, and send it again";
  return `the server is shutting down (close 1001): ${then}`;
}
