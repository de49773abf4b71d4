/**
 * Headers yparty marks its own requests with (`x-yparty-internal` on a stub's socket, `x-yparty-cluster` carrying the
 * admin token between cluster nodes) are never handed to user code: a room that echoes, logs or proxies its request's
 * headers gave the secret away, and with it a way around onBeforeConnect/onBeforeRequest.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, pollUntil, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

const ownHeaders = (request: Request) => [...request.headers.keys()].filter((name) => name.startsWith("x-yparty"));

/** Echoes the names of its request's headers, over HTTP and to each socket as it connects. */
class Echo implements Party.Server {
  static seenOnConnect: string[][] = [];
  constructor(readonly room: Party.Room) {}
  onConnect(_connection: Party.Connection, ctx: Party.ConnectionContext) {
    Echo.seenOnConnect.push(ownHeaders(ctx.request));
  }
  onRequest(request: Party.Request) {
    return Response.json({ own: ownHeaders(request), custom: request.headers.get("x-custom") });
  }
}

/** Opens a socket to an `echo` room through a stub, as parties talk to each other. */
class Caller implements Party.Server {
  constructor(readonly room: Party.Room) {}
  async onRequest() {
    const socket = await this.room.context.parties.echo!.get(this.room.id).socket();
    socket.close();
    return new Response("connected");
  }
}

describe("yparty's own headers", () => {
  it("do not reach onRequest, whoever sent them; the other headers do", async () => {
    const { url } = await startServer({ echo: Echo }, { storage: "memory" });
    const res = await fetch(`${url}/parties/echo/r`, { headers: { "x-yparty-cluster": "secret", "X-Yparty-Hop": "1", "x-custom": "kept" } });
    expect(await res.json()).toEqual({ own: [], custom: "kept" });
  });

  it("do not reach onConnect of a room a stub's socket opens (its internal token stays the server's)", async () => {
    Echo.seenOnConnect = [];
    const { url } = await startServer({ echo: Echo, caller: Caller }, { storage: "memory" });
    expect(await (await fetch(`${url}/parties/caller/r`)).text()).toBe("connected");
    expect(await pollUntil("the echo room's onConnect", async () => Echo.seenOnConnect[0])).toEqual([]);
  });
});
