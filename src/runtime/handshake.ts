/**
 * The WebSocket handshake of a plain upgrade (GET, version 13, a valid key, no subprotocol offered), done here rather
 * than by `ws`'s `handleUpgrade`: the same checks and the same 101 answer, without what every connect paid there for
 * options yparty never sets (a `Set` of subprotocols, the headers as an array joined into the answer, a `Hash`
 * stream object for one SHA-1, an options object for the socket, a 'headers' event). Anything else — a subprotocol,
 * a bad or missing header, a server that is closing or configured otherwise — goes to `handleUpgrade`, which answers
 * it as it always did.
 */
import * as crypto from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket as WsSocket, WebSocketServer } from "ws";
import { holdFirstWrite } from "./first-write.js";

/** RFC 6455's GUID, appended to the client's key before hashing. */
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** A base64-encoded 16-byte nonce (what `ws` accepts). */
const KEY = /^[+/0-9A-Za-z]{22}==$/;

/** The `WebSocketServer` fields read here (ws/lib/websocket-server.js); `_state` 0 while it runs. */
interface ServerState {
  _state?: number;
  clients?: unknown;
  options: {
    WebSocket: new (address: null, protocols: undefined, options: object) => WsSocket;
    perMessageDeflate?: unknown;
    verifyClient?: unknown;
    path?: unknown;
  };
}
type ServerSocket = WsSocket & { setSocket?: (socket: Duplex, head: Buffer, options: object) => void };

/** Node ≥ 20.12 hashes in one call; before, through a `Hash` object. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: "base64") => string }).hash;

function acceptKey(key: string): string {
  return oneShotHash
    ? oneShotHash("sha1", key + GUID, "base64")
    : crypto
        .createHash("sha1")
        .update(key + GUID)
        .digest("base64");
}

/** Whether `ws` would accept this upgrade and answer it with no header of its own beyond the accept key. */
function isPlainUpgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex): boolean {
  const server = wss as unknown as ServerState;
  const { options } = server;
  const headers = req.headers;
  return (
    server._state === 0 &&
    server.clients === undefined &&
    !options.perMessageDeflate &&
    !options.verifyClient &&
    !options.path &&
    wss.listenerCount("headers") === 0 &&
    req.method === "GET" &&
    headers.upgrade?.toLowerCase() === "websocket" &&
    headers["sec-websocket-version"] === "13" &&
    headers["sec-websocket-protocol"] === undefined &&
    typeof headers["sec-websocket-key"] === "string" &&
    KEY.test(headers["sec-websocket-key"]) &&
    socket.readable &&
    socket.writable
  );
}

/**
 * Upgrades the socket as `wss.handleUpgrade` would and calls `onSocket` with the WebSocket (synchronously, as
 * `handleUpgrade` does for a server without `verifyClient`). A plain upgrade's 101 is held as the socket's first
 * write (first-write.ts): the caller releases it once the frames sent in this turn have joined it.
 */
export function upgradeSocket(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer, onSocket: (ws: WsSocket) => void): void {
  const { options } = wss as unknown as ServerState;
  if (!isPlainUpgrade(wss, req, socket)) return wss.handleUpgrade(req, socket, head, onSocket);
  const ws = new options.WebSocket(null, undefined, options) as ServerSocket;
  if (typeof ws.setSocket !== "function") return wss.handleUpgrade(req, socket, head, onSocket);
  // `setSocket` reads its options (payload cap, UTF-8 validation, synchronous events) from the server's, as `ws` does.
  ws.setSocket(socket, head, options);
  const key = req.headers["sec-websocket-key"] as string;
  holdFirstWrite(socket, `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
  onSocket(ws);
}
