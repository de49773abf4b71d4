/**
 * One WebSocket upgrade as Node hands it over, shared by the runtime's upgrade path (upgrade-handler.ts,
 * socket-mounts.ts, placement.ts) and src/cluster, which relays an upgrade to the node that owns its room.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** One upgrade request as Node hands it over: the request, its socket, and the bytes read past its headers. */
export interface Upgrade {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}
