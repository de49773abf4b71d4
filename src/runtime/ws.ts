/**
 * The `ws` classes, loaded through `require`: importing `ws` as ESM goes through its wrapper, which has Node lex every
 * one of its CommonJS files at start-up (~40 ms of `yparty start` on a quiet machine, twice that under load).
 */
import { createRequire } from "node:module";
import type * as Ws from "ws";

const ws = createRequire(import.meta.url)("ws") as typeof Ws;

export const WebSocketServer: typeof Ws.WebSocketServer = ws.WebSocketServer;
export type WebSocketServer = Ws.WebSocketServer;
export const WebSocket: typeof Ws.WebSocket = ws.WebSocket;
export type WebSocket = Ws.WebSocket;
