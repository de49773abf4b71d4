/**
 * With `trustProxy` the server is documented as running behind a reverse proxy — in production that is the proxy
 * that terminates TLS (nginx, Caddy, a load balancer), which says so in `X-Forwarded-Proto: https`. On PartyKit the
 * URL user code reads is the one the client used: `https://…` in `onRequest`'s `req.url`, `ctx.request.url` and
 * `connection.uri` (code builds absolute links, OAuth redirect URIs and cookie `Secure` decisions from it). yparty
 * takes the trusted proxy's word for the client's address but not for its scheme: user code reads `http://…`.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

class Echo implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onConnect(connection: Party.Connection, ctx: Party.ConnectionContext) {
    connection.send(`${new URL(ctx.request.url).protocol} ${new URL(connection.uri).protocol}`);
  }
  onRequest(req: Party.Request) {
    return new Response(`${new URL(req.url).protocol} ${req.headers.get("cf-connecting-ip")}`);
  }
}

/** What a TLS-terminating proxy in front adds to every request it passes on. */
const FROM_TLS_PROXY = { "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7" };

describe("trustProxy: the scheme the client used, as the trusted proxy reports it", () => {
  it("onRequest reads https:// when the trusted proxy says X-Forwarded-Proto: https", async () => {
    const { url } = await startServer({ main: Echo }, { storage: "memory", trustProxy: true });
    const response = await fetch(`${url}/parties/main/room`, { headers: FROM_TLS_PROXY });
    // The address is taken from the proxy (203.0.113.7); before, the scheme was not: "http: 203.0.113.7".
    expect(await response.text()).toBe("https: 203.0.113.7");
  });

  it("ctx.request.url and connection.uri read https:// for a socket the proxy upgraded", async () => {
    const { wsUrl } = await startServer({ main: Echo }, { storage: "memory", trustProxy: true });
    const client = connect(wsUrl("/parties/main/room"), { headers: FROM_TLS_PROXY });
    // Before: "http: http:".
    expect(await client.next()).toBe("https: https:");
  });

  it("keeps http:// without trustProxy (a client's own X-Forwarded-Proto is not believed)", async () => {
    const { url } = await startServer({ main: Echo }, { storage: "memory" });
    const response = await fetch(`${url}/parties/main/room`, { headers: FROM_TLS_PROXY });
    expect((await response.text()).startsWith("http: ")).toBe(true);
  });
});
