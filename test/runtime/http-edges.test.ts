/**
 * HTTP requests at the edges of what a server must answer: credentials in the Host, CONNECT, and the `Allow`
 * header of every 405. Sent raw over TCP where fetch would refuse to send them.
 */
import { connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

class Echo implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onRequest(req: Party.Request) {
    return new Response(`${this.room.id} ${req.method} ${req.url}`);
  }
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` as is on a fresh TCP connection and reads the answer until the server closes or ends it. */
function raw(port: number, head: string): Promise<RawAnswer> {
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    let text = "";
    const socket = tcpConnect(port, "127.0.0.1", () => socket.write(head));
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1];
      if (length !== undefined && text.length >= end + 4 + Number(length)) socket.end();
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return reject(new Error(`No HTTP answer, got ${JSON.stringify(text)}`));
      const [status, ...lines] = text.slice(0, end).split("\r\n");
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
      const body = text.slice(end + 4);
      resolve({ status: Number(status!.split(" ")[1]), headers, body: headers["transfer-encoding"] === "chunked" ? unchunk(body) : body });
    });
  });
  return waitFor(answer, `answer to ${JSON.stringify(head.split("\r\n")[0])}`);
}

function unchunk(body: string): string {
  let out = "";
  for (let at = 0; ; ) {
    const lineEnd = body.indexOf("\r\n", at);
    const size = parseInt(body.slice(at, lineEnd), 16);
    if (!(size > 0)) return out;
    out += body.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

const UPGRADE = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

describe("requests a server must refuse with an answer", () => {
  it("answers 400 to credentials in the Host or the request target, for requests and upgrades, and logs no failure", async () => {
    const { server, logs } = await startServer({ main: Echo }, { storage: "memory" });
    for (const head of [
      "GET /party/r HTTP/1.1\r\nHost: user@evil.example\r\nConnection: close\r\n\r\n",
      "GET /elsewhere HTTP/1.1\r\nHost: user:pw@evil.example\r\nConnection: close\r\n\r\n",
      "GET http://user@evil.example/party/r HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
      `GET /party/r HTTP/1.1\r\nHost: user@evil.example\r\n${UPGRADE}\r\n`,
    ]) {
      const answer = await raw(server.port, head);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "ERR_BAD_REQUEST" } });
    }
    expect(logs.filter((entry) => entry.level === "error")).toEqual([]);
    expect(server.rooms()).toEqual([]);
  });

  it("answers CONNECT with 405 and the methods it does take, instead of closing the socket", async () => {
    const { server } = await startServer({ main: Echo }, { storage: "memory" });
    for (const target of ["evil.example:443", "/party/r"]) {
      const answer = await raw(server.port, `CONNECT ${target} HTTP/1.1\r\nHost: evil.example:443\r\n\r\n`);
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toContain("GET, HEAD");
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "ERR_METHOD_NOT_ALLOWED" } });
    }
    // The server still serves.
    expect(await (await fetch(`${server.url}/party/r`)).text()).toBe(`r GET ${server.url}/party/r`);
  });
});

describe("every 405 says what is allowed, HEAD included", () => {
  it("the party listing", async () => {
    const { url } = await startServer({ main: Echo }, { storage: "memory" });
    const answer = await fetch(`${url}/parties/main`, { method: "DELETE" });
    expect([answer.status, answer.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    expect((await fetch(`${url}/parties/main`, { method: "HEAD" })).status).toBe(200);
  });

  it("the Yjs document and its awareness", async () => {
    const { url } = await startServer({ main: DocumentParty }, { storage: "memory" });
    const doc = await fetch(`${url}/party/d`, { method: "PUT", body: "x" });
    expect([doc.status, doc.headers.get("allow")]).toEqual([405, "GET, HEAD, POST"]);
    const awareness = await fetch(`${url}/party/d/awareness`, { method: "POST", body: "x" });
    expect([awareness.status, awareness.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    const [head, get] = [await fetch(`${url}/party/d/awareness`, { method: "HEAD" }), await fetch(`${url}/party/d/awareness`)];
    expect(head.status).toBe(get.status);
  });
});
