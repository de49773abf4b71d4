/**
 * A Yjs party that guards its sockets guards its HTTP document API too: a YServer with `onBeforeConnect` and no
 * `onBeforeRequest` (a y-partyserver port checking tokens on connect) does not serve its documents to curl.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { YServer } from "../../src/yjs/index.js";
import { pollUntil, startServer } from "../helpers/server.js";
import { clientDocs, makeProvider, whenSynced } from "./support/providers.js";

const docs = clientDocs();

const allowed = (req: Party.Request) => new URL(req.url).searchParams.get("token") === "secret" || req.headers.get("authorization") === "Bearer secret";
const refuse = () => new Response("Unauthorized", { status: 401 });

/** Tokens checked on connect only. */
class SocketGuarded extends YServer {
  static override persist = { mode: "snapshot" } as const;
  static onBeforeConnect(req: Party.Request) {
    return allowed(req) ? req : refuse();
  }
}

/** Tokens checked on connect and on requests: the HTTP API is served, behind the request guard. */
class BothGuarded extends SocketGuarded {
  static onBeforeRequest(req: Party.Request) {
    return allowed(req) ? req : refuse();
  }
}

/** Serves its HTTP API to the server's other parties only: stubs skip onBeforeRequest. */
class InternalOnly extends SocketGuarded {
  static onBeforeRequest() {
    return new Response("Forbidden", { status: 403 });
  }
}

/** Reads the `docs` party's document through a stub, for an authorised caller. */
class Reader implements Party.Server {
  constructor(readonly room: Party.Room) {}
  async onRequest(req: Party.Request) {
    if (!allowed(req)) return refuse();
    return this.room.context.parties.docs!.get(this.room.id).fetch();
  }
}

const update = (() => {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, "from curl");
  return Buffer.from(Y.encodeStateAsUpdate(doc));
})();
const post = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", body: update, headers: { "content-type": "application/octet-stream", ...headers } });

describe("the HTTP document API of a party that guards its sockets", () => {
  it("answers 403 to every request when only onBeforeConnect guards the party, and warns once naming the fix", async () => {
    const server = await startServer({ main: SocketGuarded });
    const room = `${server.url}/parties/main/secret-doc`;
    // The room has a document, written by an authorised client (its socket gets in).
    const doc = new Y.Doc();
    docs.push(doc);
    doc.getText("t").insert(0, "private");
    await whenSynced(makeProvider("y-partykit", server.url, "main", "secret-doc", doc, { token: "secret" }));
    const writer = await post(room, { authorization: "Bearer secret" });
    expect(writer.status).toBe(403);
    for (const [method, path] of [
      ["GET", ""],
      ["GET", "?format=update"],
      ["GET", "/awareness"],
      ["POST", ""],
    ] as const) {
      const res = method === "POST" ? await post(room + path) : await fetch(room + path);
      expect({ method, path, status: res.status, body: await res.json() }).toEqual({
        method,
        path,
        status: 403,
        body: { error: { code: "ERR_HTTP_API_UNGUARDED", message: expect.stringContaining("onBeforeRequest") } },
      });
    }
    const warnings = server.logs.filter((entry) => entry.event === "yjs.http_api_unguarded");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: "warn", message: expect.stringContaining("SocketGuarded") });
  });

  it("leaves no live room behind a refusal (requests for any number of room names hold no memory)", async () => {
    const server = await startServer({ main: SocketGuarded });
    for (let i = 0; i < 5; i++) expect((await fetch(`${server.url}/parties/main/probe-${i}`)).status).toBe(403);
    await pollUntil("the refused rooms to unload", async () => (server.server.rooms().length === 0 ? true : undefined));
  });

  it("serves the API behind onBeforeRequest when the party has one", async () => {
    const server = await startServer({ main: BothGuarded });
    const room = `${server.url}/parties/main/doc`;
    expect((await post(room)).status).toBe(401);
    expect((await post(room, { authorization: "Bearer secret" })).status).toBe(200);
    expect((await fetch(room)).status).toBe(401);
    const read = await fetch(room, { headers: { authorization: "Bearer secret" } });
    expect({ status: read.status, body: await read.json() }).toEqual({ status: 200, body: { t: "from curl" } });
  });

  it("serves it to the server's own parties only when onBeforeRequest refuses every request", async () => {
    const server = await startServer({ docs: InternalOnly, reader: Reader });
    expect((await post(`${server.url}/parties/docs/shared`)).status).toBe(403);
    const doc = new Y.Doc();
    docs.push(doc);
    doc.getText("t").insert(0, "internal");
    await whenSynced(makeProvider("y-partykit", server.url, "docs", "shared", doc, { token: "secret" }));
    // The client's own change reaches the room in its answer to the greeting: read until it is in.
    const read = await pollUntil("the stub's read of the document", async () => {
      const res = await fetch(`${server.url}/parties/reader/shared`, { headers: { authorization: "Bearer secret" } });
      const body = await res.json();
      return res.status === 200 && (body as { t?: string }).t === "internal" ? body : undefined;
    });
    expect(read).toEqual({ t: "internal" });
  });
});
