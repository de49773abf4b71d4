/** Closing sockets at unload and shutdown: rooms' connections and `onSocket`'s sockets alike. */
import type { WebSocket as WsSocket } from "ws";
import { settleWithin } from "./guard.js";

/** Closes each socket with `close`, waits for them at most `ms`, then cuts the ones still open. */
export async function closeSocketsWithin(sockets: ReadonlyArray<{ ws: WsSocket; close(): void }>, ms: number): Promise<void> {
  const closed = Promise.all(sockets.map(({ ws }) => (ws.readyState === ws.CLOSED ? undefined : new Promise((resolve) => ws.once("close", resolve)))));
  for (const socket of sockets) socket.close();
  await settleWithin(closed, ms);
  for (const { ws } of sockets) if (ws.readyState !== ws.CLOSED) ws.terminate();
}
