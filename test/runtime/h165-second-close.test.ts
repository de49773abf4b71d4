/**
 * A second close while the first waits behind a large message changes nothing, as a DOM WebSocket's `close()` while
 * it is closing does: the message still arrives whole, then the first close's code (a party or a handler that closes
 * a connection again — a cleanup, a loop over its own list — does not cut the message the first close let through).
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import type { SocketHandler } from "../../src/runtime/index.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

const bigBinary = (): Uint8Array => new Uint8Array(4 * 1024 * 1024).map((_, i) => i % 251);

class CloseTwice implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onMessage(_message: string | ArrayBuffer | ArrayBufferView, conn: Party.Connection) {
    conn.send(bigBinary());
    conn.close(4000, "first");
    conn.close(4001, "second");
  }
}

const closeTwice: SocketHandler = (ws) => {
  ws.once("message", () => {
    ws.send(bigBinary());
    ws.close(4000, "first");
    ws.close(4001, "second");
  });
};

async function messageThenClose(url: string): Promise<{ code: number; reason: string; whole: boolean }> {
  const client = connect(url);
  await client.opened;
  client.send("go");
  const { code, reason } = await client.closed;
  const [frame] = client.messages;
  return { code, reason, whole: client.messages.length === 1 && Buffer.from(frame as Uint8Array).equals(Buffer.from(bigBinary())) };
}

describe("a second close while the first waits behind a large message", () => {
  it("a room's connection: the message arrives whole, then the first close", async () => {
    const { wsUrl } = await startServer({ main: CloseTwice }, { storage: "memory" });
    expect(await messageThenClose(wsUrl("/party/twice"))).toEqual({ code: 4000, reason: "first", whole: true });
  });

  it("a mounted handler's socket: the message arrives whole, then the first close", async () => {
    const { wsUrl } = await startServer({}, { storage: "memory", sockets: { "/raw": closeTwice } });
    expect(await messageThenClose(wsUrl("/raw"))).toEqual({ code: 4000, reason: "first", whole: true });
  });
});
