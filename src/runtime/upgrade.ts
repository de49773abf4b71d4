import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** One upgrade request as Node hands it over: the request, its socket, and the bytes read past its headers. */
export interface Upgrade {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}
