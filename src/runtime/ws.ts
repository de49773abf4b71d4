/**
 * The `ws` classes, loaded through `require`: importing `ws` as ESM goes through its wrapper, which has Node lex every
 * one of its CommonJS files at start-up (~40 ms of `yparty start` on a quiet machine, twice that under load).
 */
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import type * as Ws from "ws";

const ws = createRequire(import.meta.url)("ws") as typeof Ws;

export const WebSocketServer: typeof Ws.WebSocketServer = ws.WebSocketServer;
export type WebSocketServer = Ws.WebSocketServer;
export const WebSocket: typeof Ws.WebSocket = ws.WebSocket;
export type WebSocket = Ws.WebSocket;

/** Its TCP socket (`ws` keeps it as `_socket`; null once it is gone): for corking writes and counting bytes read. */
export function tcpSocketOf(ws: Ws.WebSocket): Socket | null {
  return (ws as unknown as { _socket?: Socket | null })._socket ?? null;
}

/**
 * The 'error' listener of a socket whose errors its close already reports (or that nothing listens to yet).
 * Module-level, and one for every socket: no listener kept per socket holds its caller's scope.
 */
export function ignoreError(): void {}
