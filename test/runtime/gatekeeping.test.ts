import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import PartySocket from "partysocket";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type * as Party from "../../src/runtime/index.js";
import { createServer, silentLogger } from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, refusedUpgrade, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

class Guarded implements Party.Server {
  constructor(readonly room: Party.Room) {}
  static onBeforeConnect(req: Party.Request, lobby: Party.Lobby) {
    const token = new URL(req.url).searchParams.get("token");
    if (token !== "secret") return new Response(`no entry to ${lobby.id}`, { status: 403, headers: { "x-why": "token" } });
    const forwarded = new Request(req);
    forwarded.headers.set("x-user", "admin");
    return forwarded;
  }
  static onBeforeRequest(req: Party.Request) {
    if (req.headers.get("authorization") !== "Bearer ok") return new Response("unauthorized", { status: 401 });
    const forwarded = new Request(req);
    forwarded.headers.set("x-checked", "yes");
    return forwarded;
  }
  static onFetch(req: Party.Request, lobby: Party.FetchLobby) {
    const url = new URL(req.url);
    if (url.pathname === "/hello") return new Response(`hello ${String(lobby.env.NAME)}`);
    return null;
  }
  onConnect(conn: Party.Connection, ctx: Party.ConnectionContext) {
    conn.send(`user=${ctx.request.headers.get("x-user")}`);
  }
  onRequest(req: Party.Request) {
    return new Response(`checked=${req.headers.get("x-checked")}`);
  }
}

describe("static worker hooks and bad input", () => {
  it("refuses an upgrade with the Response of onBeforeConnect (status and body reach the client)", async () => {
    const { wsUrl } = await startServer({ main: Guarded });
    expect(await refusedUpgrade(wsUrl("/party/vault"))).toEqual({ status: 403, body: "no entry to vault" });
    const client = connect(wsUrl("/party/vault?token=secret"));
    expect(await client.next()).toBe("user=admin");
  });

  it("filters HTTP with onBeforeRequest and answers other paths with onFetch, routes, else 404 JSON", async () => {
    const { url } = await startServer(
      { main: Guarded },
      { vars: { NAME: "yparty" }, routes: [(req) => (new URL(req.url).pathname === "/route" ? new Response("from route") : undefined)] },
    );
    expect((await fetch(`${url}/party/x`)).status).toBe(401);
    expect(await (await fetch(`${url}/party/x`, { headers: { authorization: "Bearer ok" } })).text()).toBe("checked=yes");
    expect(await (await fetch(`${url}/hello`)).text()).toBe("hello yparty");
    expect(await (await fetch(`${url}/route`)).text()).toBe("from route");
    const missing = await fetch(`${url}/nothing`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe("ERR_NOT_FOUND");
  });

  it("answers an unknown party 404 and an invalid room id 400, over HTTP and on upgrades", async () => {
    const { url, wsUrl } = await startServer({ main: Guarded });
    const unknown = await fetch(`${url}/parties/nope/room`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe("ERR_UNKNOWN_PARTY");
    for (const bad of ["/parties/main/%00x", "/parties/main/%E0%A4%A", `/parties/main/${"x".repeat(300)}`, "/party/%20%09"]) {
      const res = await fetch(url + bad);
      expect(res.status, bad).toBe(400);
      expect((await res.json()).error.code).toBe("ERR_INVALID_ROOM_ID");
    }
    const refused = await refusedUpgrade(wsUrl("/parties/nope/room"));
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.body).error.code).toBe("ERR_UNKNOWN_PARTY");
    const badId = await refusedUpgrade(wsUrl("/parties/main/%01"));
    expect(badId.status).toBe(400);
    expect(JSON.parse(badId.body).error.code).toBe("ERR_INVALID_ROOM_ID");
  });

  it("decodes room ids exactly once", async () => {
    const seen = deferred<string>();
    class Ids implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect() {
        seen.resolve(this.room.id);
      }
    }
    const { wsUrl } = await startServer({ main: Ids });
    connect(wsUrl("/parties/main/a%2520b%2Fc%20d"));
    expect(await waitFor(seen.promise, "onConnect")).toBe("a%20b/c d");
  });

  it("works with partysocket, the PartyKit client", async () => {
    const { server } = await startServer({ main: Guarded });
    const socket = new PartySocket({
      host: `127.0.0.1:${server.port}`,
      room: "ps",
      id: "party-client",
      query: { token: "secret" },
      WebSocket,
    });
    try {
      const first = new Promise<string>((resolve) => socket.addEventListener("message", (e) => resolve(String(e.data)), { once: true }));
      expect(await waitFor(first, "partysocket message")).toBe("user=admin");
      expect(socket.id).toBe("party-client");
      expect(server.rooms()).toEqual([{ party: "main", id: "ps", connections: 1 }]);
    } finally {
      socket.close();
    }
  });
});

describe("listen and close", () => {
  it("rejects listen() on a port in use with the system's code and releases the folder it opened", async () => {
    const taken = await startServer({ main: Guarded }, { storage: "memory" });
    const dir = await mkdtemp(join(tmpdir(), "yparty-clash-"));
    try {
      const clash = createServer({ parties: { main: Guarded }, port: taken.server.port, persist: { dir }, logger: silentLogger() });
      await expect(clash.listen()).rejects.toMatchObject({ code: "EADDRINUSE" });
      // The folder was released: another server can open it.
      const next = createServer({ parties: { main: Guarded }, port: 0, persist: { dir }, logger: silentLogger() });
      await next.listen();
      await next.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("answers unparseable HTTP with 400, TRACE with 405, and keeps serving", async () => {
    const { url, server } = await startServer({ main: Guarded }, { storage: "memory" });
    const reply = await rawHttp(server.port, "NOT HTTP\r\n\r\n");
    expect(reply.startsWith("HTTP/1.1 400")).toBe(true);
    const trace = await rawHttp(server.port, "TRACE /party/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(trace.startsWith("HTTP/1.1 405")).toBe(true);
    expect(trace).toContain("ERR_METHOD_NOT_ALLOWED");
    expect((await fetch(`${url}/hello`)).status).toBe(200);
  });

  it("answers a Host header no URL can carry with 400 ERR_BAD_REQUEST, over HTTP and on upgrades", async () => {
    const { url, server, logs } = await startServer({ main: Guarded }, { storage: "memory" });
    const plain = await rawHttp(server.port, "GET /party/x HTTP/1.1\r\nHost: [bad\r\nConnection: close\r\n\r\n");
    expect(plain.startsWith("HTTP/1.1 400")).toBe(true);
    expect(plain).toContain("ERR_BAD_REQUEST");
    const upgrade = await rawHttp(
      server.port,
      "GET /party/x HTTP/1.1\r\nHost: [bad\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    expect(upgrade.startsWith("HTTP/1.1 400")).toBe(true);
    expect(logs.filter((entry) => entry.level === "error")).toEqual([]);
    expect((await fetch(`${url}/hello`)).status).toBe(200);
  });

  it("refuses with 500 when onBeforeConnect/onBeforeRequest return something that is neither a Request, a Response nor nothing", async () => {
    class Sloppy implements Party.Server {
      constructor(readonly room: Party.Room) {}
      // A common slip: returning the check's result instead of a Response.
      static onBeforeConnect() {
        return false;
      }
      static onBeforeRequest() {
        return "nope";
      }
      onConnect(conn: Party.Connection) {
        conn.send("let in");
      }
      onRequest() {
        return new Response("served");
      }
    }
    const { url, wsUrl, logs } = await startServer({ main: Sloppy as unknown as Party.Worker }, { storage: "memory" });
    expect((await refusedUpgrade(wsUrl("/party/locked"))).status).toBe(500);
    const response = await fetch(`${url}/party/locked`);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain("served");
    const messages = logs.filter((entry) => entry.event === "party.hook_failed").map((entry) => entry.message);
    expect(messages).toEqual([
      "onBeforeConnect returned false: return a Request to go on, a Response to refuse, or nothing",
      'onBeforeRequest returned "nope": return a Request to go on, a Response to refuse, or nothing',
    ]);
  });
});

/** Writes raw bytes to the server and resolves with everything it answers before closing. */
function rawHttp(port: number, text: string): Promise<string> {
  const answer = new Promise<string>((resolve) => {
    const socket = netConnect(port, "127.0.0.1", () => socket.write(text));
    let reply = "";
    socket.on("data", (chunk) => (reply += chunk.toString()));
    socket.on("close", () => resolve(reply));
  });
  return waitFor(answer, `the answer to ${JSON.stringify(text.slice(0, 20))}`);
}

describe("refusals before the body is read", () => {
  it("close the connection whatever the Response's headers say, so a paused socket never lingers", async () => {
    class NoUploads implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onRequest() {
        return new Response("never reached");
      }
      static onBeforeRequest() {
        return new Response("no uploads here", { status: 403, headers: { connection: "keep-alive" } });
      }
    }
    const { url } = await startServer({ main: NoUploads }, { storage: "memory" });
    const answer = await waitFor(
      new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const req = httpRequest(`${url}/party/uploads`, { method: "POST", headers: { "transfer-encoding": "chunked" } });
        req.on("response", (res) => {
          res.resume();
          res.on("end", () => {
            req.destroy(); // its body never ends
            resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
          });
        });
        req.on("error", reject);
        req.write(Buffer.alloc(1024));
      }),
      "the refusal",
    );
    expect(answer).toEqual({ status: 403, connection: "close" });
    expect((await fetch(`${url}/party/uploads`)).status).toBe(403); // and it keeps serving
  });
});

describe("the party listing", () => {
  it("lists rooms by default, and answers 404 with listRooms: false while the rooms themselves still work", async () => {
    class Named implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onRequest() {
        return new Response(`room ${this.room.id}`);
      }
    }
    const open = await startServer({ main: Named }, { storage: "memory" });
    await fetch(`${open.url}/party/secret-plans`);
    expect(((await (await fetch(`${open.url}/parties/main`)).json()) as { rooms: Array<{ id: string }> }).rooms.map((r) => r.id)).toEqual(["secret-plans"]);

    const closed = await startServer({ main: Named }, { storage: "memory", listRooms: false });
    expect(await (await fetch(`${closed.url}/party/secret-plans`)).text()).toBe("room secret-plans");
    const listing = await fetch(`${closed.url}/parties/main`);
    expect(listing.status).toBe(404);
    expect(await listing.json()).toEqual({ error: { code: "ERR_NOT_FOUND", message: expect.stringContaining("listRooms: false") } });
  });
});
