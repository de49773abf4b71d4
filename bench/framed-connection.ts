/**
 * A runtime `RoomConnection` whose socket takes every write at once and keeps nothing: with `hot-path.ts --framed`, what
 * the runtime does per send (the frame built, the write, the send budget) is in the figure, the syscalls are not.
 * It stands in for `ws`'s fields the runtime reads (direct-frame.ts): an open socket, an idle `Sender`, a TCP socket.
 */
import type { WebSocket as WsSocket } from "ws";
import { type ConnectionOwner, RoomConnection } from "../src/runtime/connection.js";
import { SendBudget } from "../src/runtime/send-budget.js";
import { DEFAULT_LIMITS } from "../src/runtime/limits.js";

/** The server's send budget, as one room's connections share it. */
const budget = new SendBudget(DEFAULT_LIMITS);
/** What a connection reports after a send; nothing else is asked of the owner on this path. */
const owner = { afterSend: (connection: RoomConnection, unsent: number) => budget.afterSend(connection, unsent) } as unknown as ConnectionOwner;

/** Bytes written to every framed connection's socket. */
export const written = { bytes: 0 };

const tcpSocket = {
  writableCorked: 0,
  destroyed: false,
  write(frame: Uint8Array): boolean {
    written.bytes += frame.byteLength;
    return true;
  },
};

export function framedConnection(id: string): RoomConnection {
  const ws = { readyState: 1, bufferedAmount: 0, _socket: tcpSocket, _sender: { _state: 0, _firstFragment: true, _extensions: {} } };
  return new RoomConnection(id, "/", ws as unknown as WsSocket, owner);
}
