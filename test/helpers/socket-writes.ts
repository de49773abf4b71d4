/**
 * Records what the server writes to a room connection's TCP socket (its `ws` socket holds it as `_socket`): the
 * buffers themselves, so a test can tell one frame object or one copy written to several sockets from several.
 */
import type { Socket } from "node:net";
import type * as Party from "../../src/runtime/index.js";
import { DocumentParty } from "../../src/yjs/index.js";

/** The server's writes to the TCP socket of each connection, newest last, as the connections join. */
export type Writes = Buffer[][];

/** Records what is written to `connection`'s TCP socket from now on, as a new entry of `writes`. */
export function recordWrites(connection: Party.Connection, writes: Writes): void {
  const socket = (connection as unknown as { ws: { _socket: Socket } }).ws._socket;
  const written: Buffer[] = [];
  writes.push(written);
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  // Every argument passed on: `ws` and the paced sender go on from a write's callback.
  socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
    written.push(chunk);
    return write(chunk, ...rest);
  }) as Socket["write"];
}

/** The built-in Yjs party, recording what it writes to each connection's socket into `writes` as they join. */
export function documentPartyRecording(writes: Writes): typeof DocumentParty {
  return class extends DocumentParty {
    override onConnect(connection: Party.Connection, ctx: Party.ConnectionContext) {
      recordWrites(connection, writes);
      return super.onConnect(connection, ctx);
    }
  };
}
