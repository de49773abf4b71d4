/** A client's real socket joined to the end of a `WebSocketPair` that `onFetch` answered its upgrade with. */
import type { WebSocket as WsSocket } from "ws";
import { ATTACH_WIRE, type PairedWebSocket } from "./websocket-pair.js";

/** Close codes a peer may not send (1005/1006 only describe a close), or not valid at all: sent as 1000. */
const sendable = (code: number): number =>
  code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999) ? code : 1000;

export function joinPairedSocket(ws: WsSocket, end: PairedWebSocket): void {
  ws.binaryType = "arraybuffer";
  const peer = end[ATTACH_WIRE]({
    send: (data) => {
      if (ws.readyState === ws.OPEN) ws.send(data);
    },
    close: (code, reason) => {
      if (ws.readyState !== ws.OPEN) return;
      // A reason longer than a close frame holds (123 bytes) makes ws throw: the code alone goes.
      if (Buffer.byteLength(reason) <= 123) ws.close(sendable(code), reason);
      else ws.close(sendable(code));
    },
  });
  ws.on("message", (data, isBinary) => peer.message(isBinary ? (data as ArrayBuffer) : data.toString()));
  ws.once("close", (code, reason) => peer.closed(code, reason.toString()));
}
