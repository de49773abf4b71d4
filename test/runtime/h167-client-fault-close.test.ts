/**
 * A client that breaks a limit while it reads a large message (a frame past `maxMessageBytes`) is closed 1009 at once
 * on a mounted handler's socket as on a room's connection: `ws` answers it through the socket's `close`, which must
 * then not wait behind the message, as for the client's own close.
 */
import { afterEach, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import type { SocketHandler } from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, startServer, waitFor } from "../helpers/server.js";
import { throttlingProxy } from "../helpers/throttling-proxy.js";

afterEach(cleanupAll);

const MiB = 1024 * 1024;
/** More than loopback's and the proxy's buffers hold: it takes seconds to read through the slow link. */
const LARGE = 16 * MiB;
const limits = { maxMessageBytes: 64 * 1024 };

let sending = deferred<void>();
let given = deferred<string>();

const handler: SocketHandler = (ws) => {
  ws.on("message", () => {
    ws.send(new Uint8Array(LARGE), (error) => given.resolve(error ? "given up" : "sent"));
    sending.resolve();
  });
};

class Large implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onMessage(_message: string | ArrayBuffer | ArrayBufferView, conn: Party.Connection) {
    conn.send(new Uint8Array(LARGE));
    sending.resolve();
  }
}

let closeProxy: (() => void) | undefined;
afterEach(() => {
  closeProxy?.();
  sending = deferred<void>();
  given = deferred<string>();
});

for (const [what, path] of [
  ["a mounted handler's socket", "/raw"],
  ["a room's connection", "/party/large"],
] as const) {
  it(`${what}: a frame past maxMessageBytes while the client reads a large message is answered 1009 at once`, { timeout: 30_000 }, async () => {
    const server = await startServer({ main: Large }, { storage: "memory", limits, sockets: { "/raw": handler } });
    const proxy = await throttlingProxy(new URL(server.url).port, 20);
    closeProxy = proxy.close;
    const client = connect(`ws://127.0.0.1:${proxy.port}${path}`);
    await client.opened;
    client.send("go");
    await waitFor(sending.promise, "the large message to be sent");
    client.send(new Uint8Array(2 * limits.maxMessageBytes));
    const { code } = await waitFor(client.closed, "the close", 20_000);
    expect(code).toBe(1009);
    // Before, a mounted handler's socket answered once the message was written: the client read all of it first.
    expect(client.messages.length, "the large message was cut").toBe(0);
    if (path === "/raw") expect(await waitFor(given.promise, "the large message's callback")).toBe("given up");
  });
}
