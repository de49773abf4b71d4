/**
 * Sockets the runtime hands out as they are (a mounted socket's handler, the main party's `onSocket`): closed with
 * the server, pinged by the heartbeat, and under the same send budget as room connections: each send is counted toward `limits.maxBufferedBytes`, and a socket whose
 * unsent bytes pass `limits.maxSendBufferBytes` beyond its largest frame is closed with 4008, as a room connection
 * would be. Their handlers send with `ws.send` directly, so it is that method that counts.
 */
import type { WebSocket as WsSocket } from "ws";
import { CloseCode } from "../protocol/index.js";
import { LargestFrame } from "./largest-frame.js";
import type { ServerCore } from "./core.js";
import { heartbeatTimeoutLog } from "./heartbeat.js";
import type { BufferHolder, SendBudget, SendBufferLimit } from "./send-budget.js";
import { ignoreError } from "./ws.js";

/** Takes on a socket handed out as it is, at `path`: its errors are its own, and the server closes, pings and budgets it. */
export function adoptRawSocket(core: ServerCore, ws: WsSocket, path: string): void {
  ws.on("error", ignoreError);
  // The heartbeat pings the raw sockets from this map, and logs a silent one's path.
  core.fetchSockets.set(ws, heartbeatTimeoutLog(core.logger, { path }));
  ws.once("close", () => core.fetchSockets.delete(ws));
  core.frameBudget.watch(ws, (socket, code, reason) => {
    core.logger.warn("socket.incoming_refused", {
      code: code === CloseCode.MessageTooBig ? "ERR_MESSAGE_TOO_BIG" : "ERR_SERVER_BUSY",
      path,
      limit: core.limits.maxFrameBytesInFlight,
    });
    socket.close(code, reason);
  });
  underSendBudget(ws, core.sendBudget, (limit) =>
    core.logger.warn("socket.send_buffer_full", { code: "ERR_SEND_BUFFER_FULL", path, bufferedAmount: ws.bufferedAmount, limit }),
  );
}

function underSendBudget(ws: WsSocket, budget: SendBudget, onFull: (limit: SendBufferLimit) => void): void {
  const largestFrame = new LargestFrame();
  const holder: BufferHolder = {
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    get unsentBeyondLargestFrame() {
      const buffered = ws.bufferedAmount;
      return buffered - largestFrame.unsent(buffered);
    },
    get readyState() {
      return ws.readyState;
    },
    onceClosed: (listener) => void ws.once("close", listener),
    sendBufferFull: (limit) => {
      if (ws.readyState !== ws.OPEN) return;
      onFull(limit);
      ws.close(CloseCode.SendBufferFull, "Send buffer full");
    },
    terminate: () => ws.terminate(),
  };
  const send = ws.send.bind(ws) as (data: unknown, ...rest: unknown[]) => void;
  ws.send = ((data: unknown, ...rest: unknown[]) => {
    send(data, ...rest);
    largestFrame.counted(byteLength(data), ws.bufferedAmount);
    budget.afterSend(holder);
  }) as WsSocket["send"];
}

function byteLength(data: unknown): number {
  if (typeof data === "string") return Buffer.byteLength(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  if (Array.isArray(data)) return data.reduce((sum: number, part: unknown) => sum + byteLength(part), 0);
  return 0;
}
