/**
 * The WebSocket handshake as a client sees it on the wire: a plain upgrade gets the 101 `ws` gives (RFC 6455's
 * accept key, no other header) with the room's first frames after it, framed as `ws` frames them; an upgrade with a
 * subprotocol, an old version, a bad key or another method is answered as `ws` answers it. A request without a Host
 * header is routed on the server's own authority.
 */
import { connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { WebSocket } from "ws";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

/** RFC 6455 section 1.3's sample key and the accept value it must get. */
const SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

class Greeter implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onConnect(conn: Party.Connection) {
    conn.send("hi");
    conn.send(new Uint8Array([1, 2, 3]));
  }
  onRequest(req: Party.Request) {
    return new Response(req.url);
  }
}

/** Sends `request` on a raw TCP socket and resolves with what the server wrote once `done` says it is complete. */
function rawExchange(port: number, request: string, done: (received: Buffer) => boolean): Promise<Buffer> {
  const socket = tcpConnect(port, "127.0.0.1");
  const received = new Promise<Buffer>((resolve, reject) => {
    let bytes = Buffer.alloc(0);
    const settle = () => resolve(bytes);
    socket.on("data", (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      if (done(bytes)) settle();
    });
    socket.on("end", settle);
    socket.on("close", settle);
    socket.on("error", reject);
  });
  socket.write(request);
  return waitFor(received, `the answer to ${request.split("\r\n")[0]}`).finally(() => socket.destroy());
}

const upgradeRequest = (path: string, headers: Record<string, string>, method = "GET"): string =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("")}\r\n`;

const websocketHeaders = { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": SAMPLE_KEY, "Sec-WebSocket-Version": "13" };

async function greeterPort(): Promise<number> {
  const { url } = await startServer({ main: Greeter }, { storage: "memory" });
  return Number(new URL(url).port);
}

const statusLine = (answer: Buffer): string => answer.toString("latin1").split("\r\n")[0] ?? "";

describe("the WebSocket handshake", () => {
  it("answers a plain upgrade with the accept key alone, the room's first frames right after, framed as ws frames them", async () => {
    const port = await greeterPort();
    const expected = Buffer.concat([
      Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`, "latin1"),
      Buffer.from([0x81, 2, ...Buffer.from("hi")]), // text, final, 2 bytes
      Buffer.from([0x82, 3, 1, 2, 3]), // binary, final, 3 bytes
    ]);
    const answer = await rawExchange(port, upgradeRequest("/party/plain?_pk=a", websocketHeaders), (bytes) => bytes.length >= expected.length);
    expect(answer.toString("latin1")).toBe(expected.toString("latin1"));
  });

  it("takes the first subprotocol a client offers, as ws does", async () => {
    const { wsUrl } = await startServer({ main: Greeter }, { storage: "memory" });
    const client = new WebSocket(wsUrl("/party/protocols?_pk=b"), ["first", "second"]);
    const greeting = new Promise<string>((resolve, reject) => {
      client.once("message", (data: Buffer) => resolve(data.toString("utf8")));
      client.once("error", reject);
    });
    try {
      expect(await waitFor(greeting, "the greeting")).toBe("hi");
      expect(client.protocol).toBe("first");
    } finally {
      client.terminate();
    }
  });

  it("accepts version 8, and refuses a bad key, a missing version and another method as ws does", async () => {
    const port = await greeterPort();
    const headEnd = (bytes: Buffer) => bytes.includes("\r\n\r\n");
    const version8 = await rawExchange(port, upgradeRequest("/party/old?_pk=c", { ...websocketHeaders, "Sec-WebSocket-Version": "8" }), headEnd);
    expect(statusLine(version8)).toBe("HTTP/1.1 101 Switching Protocols");
    expect(version8.toString("latin1")).toContain(`Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n`);
    const badKey = await rawExchange(port, upgradeRequest("/party/bad?_pk=d", { ...websocketHeaders, "Sec-WebSocket-Key": "short" }), () => false);
    expect(statusLine(badKey)).toBe("HTTP/1.1 400 Bad Request");
    expect(badKey.toString("latin1")).toContain("Missing or invalid Sec-WebSocket-Key header");
    const { "Sec-WebSocket-Version": _omitted, ...withoutVersion } = websocketHeaders;
    const noVersion = await rawExchange(port, upgradeRequest("/party/bad?_pk=e", withoutVersion), () => false);
    expect(statusLine(noVersion)).toBe("HTTP/1.1 400 Bad Request");
    expect(noVersion.toString("latin1")).toContain("Sec-WebSocket-Version: 13, 8");
    const post = await rawExchange(port, upgradeRequest("/party/bad?_pk=f", { ...websocketHeaders, "Content-Length": "0" }, "POST"), () => false);
    expect(statusLine(post)).toBe("HTTP/1.1 405 Method Not Allowed");
  });

  it("routes a request without a Host header (HTTP/1.0) on the server's own host and port", async () => {
    const port = await greeterPort();
    const answer = await rawExchange(port, "GET /party/hostless?x=1 HTTP/1.0\r\n\r\n", () => false);
    expect(statusLine(answer)).toBe("HTTP/1.1 200 OK");
    expect(answer.toString("utf8").split("\r\n\r\n")[1]).toBe(`http://127.0.0.1:${port}/party/hostless?x=1`);
  });

  it("keeps the 101 first when onConnect sends frames ws writes itself and closes, in the same turn", async () => {
    const large = new Uint8Array(20 * 1024).fill(7); // past the frames the runtime writes itself
    class Busy implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect(conn: Party.Connection) {
        if (conn.id === "keeper") return;
        conn.send("first");
        conn.send(large);
        conn.send("last");
        conn.close(4000, "done");
      }
    }
    const { wsUrl } = await startServer({ main: Busy }, { storage: "memory" });
    // A running room: the next connect's onConnect runs in the upgrade's own turn.
    const keeper = new WebSocket(wsUrl("/party/busy?_pk=keeper"));
    await waitFor(new Promise((resolve) => keeper.once("open", resolve)), "the first client's open");
    const client = new WebSocket(wsUrl("/party/busy?_pk=g"));
    const received: Array<string | number> = [];
    client.on("message", (data: Buffer, isBinary: boolean) => received.push(isBinary ? data.byteLength : data.toString("utf8")));
    const closed = new Promise<number>((resolve, reject) => {
      client.once("close", resolve);
      client.once("error", reject);
    });
    try {
      expect(await waitFor(closed, "the close")).toBe(4000);
      expect(received).toEqual(["first", large.byteLength, "last"]);
    } finally {
      keeper.terminate();
    }
  });
});
