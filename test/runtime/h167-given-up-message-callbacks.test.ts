/**
 * A large message a mounted handler's socket gives up (its client closed, or the runtime closed it 4008) tells its
 * callback once the socket is closing: what the callback sends then fails, as a send after a close does, and never
 * goes on the wire behind the message cut short (`ws` frames it as that message's continuation: the client would get
 * the message's first fragments and the new one as one message).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { SocketHandler } from "../../src/runtime/index.js";
import { cleanupAll, connect, pollUntil, startServer, type TestClient } from "../helpers/server.js";

afterEach(cleanupAll);

const MiB = 1024 * 1024;
/** More than loopback's socket buffers hold: a client that stops reading leaves it being written. */
const LARGE = 32 * MiB;

/** What the handler saw. */
let seen: string[] = [];

/** "go": sends the large message, whose callback sends again if it failed; "go and fill": then more, past the cap. */
const handler: SocketHandler = (ws) => {
  ws.on("message", (data: Buffer) => {
    ws.send(new Uint8Array(LARGE), (error) => {
      seen.push(`large: ${error ? "given up" : "sent"}`);
      if (error) ws.send("from the callback", (again) => seen.push(`callback's send: ${again ? "failed" : "sent"}`));
    });
    seen.push("sending");
    if (data.toString() === "go and fill") for (let i = 0; i < 32; i++) ws.send(new Uint8Array(64 * 1024));
  });
};

/** The message sizes the client got, the text as itself: only whole large messages may be there. */
const received = (client: TestClient): Array<string | number> =>
  client.messages.map((frame) => (typeof frame === "string" ? frame : frame.byteLength)).filter((size) => size !== LARGE && size !== 64 * 1024);

describe("a mounted handler's large message given up: a send from its callback", () => {
  afterEach(() => void (seen = []));

  it("after its client's close: fails, and the client gets nothing but whole messages", async () => {
    const { wsUrl } = await startServer({}, { storage: "memory", sockets: { "/raw": handler } });
    const client = connect(wsUrl("/raw"));
    await client.opened;
    const tcp = (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    client.send("go");
    await pollUntil("the handler's send", async () => seen.includes("sending") || undefined);
    client.ws.close(1000);
    await pollUntil("the message to be given up", async () => seen.includes("large: given up") || undefined);
    tcp.resume();
    await client.closed;
    await pollUntil("the callback's send to be told", async () => seen.length === 3 || undefined);
    // Before: "from the callback" went as the continuation of the message cut short, and the client got one message
    // of the first fragments and it.
    expect(received(client)).toEqual([]);
    expect(seen).toEqual(["sending", "large: given up", "callback's send: failed"]);
  });

  it("by the runtime's 4008: fails, and the client gets nothing but whole messages", async () => {
    const { wsUrl } = await startServer({}, { storage: "memory", limits: { maxSendBufferBytes: MiB }, sockets: { "/raw": handler } });
    const client = connect(wsUrl("/raw"));
    await client.opened;
    client.send("go and fill");
    expect((await client.closed).code).toBe(4008);
    await pollUntil("the callback's send to be told", async () => seen.length === 3 || undefined);
    expect(received(client)).toEqual([]);
    expect(seen).toEqual(["sending", "large: given up", "callback's send: failed"]);
  });
});
