import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { startServer, type TestServer } from "../helpers/server.js";
import type * as Party from "../../src/runtime/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { makeProvider, until, untilAwareness, whenSynced, clientDocs } from "./support/providers.js";

class GuardedDocs extends DocumentParty {
  static onBeforeRequest(req: Party.Request): Party.Request | Response {
    return req.method === "POST" && req.headers.get("authorization") !== "Bearer ok"
      ? Response.json({ error: { code: "ERR_UNAUTHORIZED", message: "no" } }, { status: 401 })
      : req;
  }
}

class ReadOnlyDocs extends DocumentParty {
  override isReadOnlyRequest(): boolean {
    return true;
  }
}

let server: TestServer;
const docs = clientDocs();

function updateWith(fill: (doc: Y.Doc) => void): Uint8Array {
  const doc = new Y.Doc();
  fill(doc);
  return Y.encodeStateAsUpdate(doc);
}

const post = (url: string, body: Uint8Array | string, headers: Record<string, string> = { "content-type": "application/octet-stream" }) =>
  fetch(url, { method: "POST", body: body as BodyInit, headers });

async function start() {
  server = await startServer({ main: DocumentParty, guarded: GuardedDocs, ro: ReadOnlyDocs });
  return server;
}

describe("headless HTTP API", () => {
  it("GET of an unknown room is 404 and creates no document", async () => {
    await start();
    for (const path of ["/parties/main/nobody", "/parties/main/nobody?format=update", "/parties/main/nobody/awareness"]) {
      const res = await fetch(server.url + path);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: "ERR_ROOM_NOT_FOUND", message: "This room has no document" } });
    }
    expect(await server.server.storage.docs.names()).not.toContain("main/nobody");
  });

  it("refuses a POST of a non-update to a room not loaded with 400, storing nothing: the room still has no document", async () => {
    await start();
    const res = await post(`${server.url}/parties/main/untouched`, Uint8Array.of(5, 200, 17, 3, 9, 9, 9));
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 400,
      body: { error: { code: "ERR_INVALID_UPDATE", message: expect.any(String) } },
    });
    expect((await fetch(`${server.url}/parties/main/untouched`)).status).toBe(404);
    expect(await server.server.storage.docs.names()).not.toContain("main/untouched");
  });

  it("POST applies an update, answers after the durable write, and fans it out to sockets", async () => {
    await start();
    const doc = new Y.Doc();
    docs.push(doc);
    const provider = makeProvider("y-websocket", server.url, "main", "posted", doc);
    await whenSynced(provider);
    const res = await post(
      `${server.url}/parties/main/posted`,
      updateWith((d) => d.getText("t").insert(0, "from http")),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, stateVector: expect.any(String) });
    // Durable before the answer: the store has it now.
    const stored = new Y.Doc();
    Y.applyUpdate(stored, (await server.server.storage.docs.load("main/posted"))!);
    expect(stored.getText("t").toString()).toBe("from http");
    await until(doc, (d) => d.getText("t").toString() === "from http", "socket receives the posted update");
  });

  it("GET answers JSON, the binary update, the state vector, and the diff since a state vector", async () => {
    await start();
    const url = `${server.url}/parties/main/formats`;
    const base = new Y.Doc();
    base.getText("t").insert(0, "base");
    expect((await post(url, Y.encodeStateAsUpdate(base))).status).toBe(200);
    const baseVector = Y.encodeStateVector(base);
    const more = new Y.Doc();
    Y.applyUpdate(more, Y.encodeStateAsUpdate(base));
    more.getText("t").insert(4, " and more");
    more.getMap("m").set("n", 1);
    expect((await post(url, Y.encodeStateAsUpdate(more, baseVector))).status).toBe(200);

    expect(await (await fetch(url)).json()).toEqual({ t: "base and more", m: { n: 1 } });

    const whole = await fetch(`${url}?format=update`);
    expect(whole.headers.get("content-type")).toBe("application/octet-stream");
    const copy = new Y.Doc();
    Y.applyUpdate(copy, new Uint8Array(await whole.arrayBuffer()));
    expect(copy.getText("t").toString()).toBe("base and more");

    const vector = new Uint8Array(await (await fetch(`${url}?format=state-vector`)).arrayBuffer());
    expect(vector).toEqual(Y.encodeStateVector(copy));

    const since = Buffer.from(baseVector).toString("base64");
    const diff = new Uint8Array(await (await fetch(`${url}?since=${encodeURIComponent(since)}`)).arrayBuffer());
    const catchUp = new Y.Doc();
    Y.applyUpdate(catchUp, Y.encodeStateAsUpdate(base));
    Y.applyUpdate(catchUp, diff);
    expect(catchUp.getText("t").toString()).toBe("base and more");
    expect(diff.byteLength).toBeLessThan(Y.encodeStateAsUpdate(copy).byteLength);
  });

  it("refuses bad bodies and queries with 4xx JSON errors, leaving the document alone", async () => {
    await start();
    const url = `${server.url}/parties/main/strict`;
    await post(
      url,
      updateWith((d) => d.getText("t").insert(0, "safe")),
    );
    const cases: Array<[() => Promise<Response>, number, string]> = [
      [() => post(url, Uint8Array.of(5, 200, 17, 3, 9, 9, 9)), 400, "ERR_INVALID_UPDATE"],
      [() => post(url, new Uint8Array(0)), 400, "ERR_BAD_REQUEST"],
      [() => post(url, "hello", { "content-type": "text/plain" }), 415, "ERR_UNSUPPORTED_MEDIA_TYPE"],
      // A prefix of the type is not the type (it was taken)
      [() => post(url, "hello", { "content-type": "application/octet-streamXYZ" }), 415, "ERR_UNSUPPORTED_MEDIA_TYPE"],
      [() => fetch(`${url}?format=xml`), 400, "ERR_BAD_REQUEST"],
      [() => fetch(`${url}?since=***`), 400, "ERR_BAD_REQUEST"],
      [() => fetch(url, { method: "DELETE" }), 405, "ERR_METHOD_NOT_ALLOWED"],
      [() => fetch(`${url}/nothing-here`), 404, "ERR_NOT_FOUND"],
    ];
    // One request at a time: a request made up front could fail unobserved while an earlier one is awaited.
    for (const [request, status, code] of cases) {
      const res = await request();
      expect({ status: res.status, body: await res.json() }).toEqual({ status, body: { error: { code, message: expect.any(String) } } });
    }
    expect(await (await fetch(url)).json()).toEqual({ t: "safe" });
  });

  it("writes obey onBeforeRequest and read-only rooms", async () => {
    await start();
    const update = updateWith((d) => d.getText("t").insert(0, "x"));
    expect((await post(`${server.url}/parties/guarded/g`, update)).status).toBe(401);
    expect(await server.server.storage.docs.names()).not.toContain("guarded/g");
    const allowed = await post(`${server.url}/parties/guarded/g`, update, { "content-type": "application/octet-stream", authorization: "Bearer ok" });
    expect(allowed.status).toBe(200);
    const refused = await post(`${server.url}/parties/ro/r`, update);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "ERR_READ_ONLY" } });
  });

  it("GET …/awareness lists the presence states of the room's clients", async () => {
    await start();
    const doc = new Y.Doc();
    docs.push(doc);
    const provider = makeProvider("y-partykit", server.url, "main", "present", doc);
    await whenSynced(provider);
    provider.awareness.setLocalStateField("user", { name: "Ada" });
    const watcher = makeProvider("y-websocket", server.url, "main", "present", new Y.Doc());
    await untilAwareness(watcher.awareness, (a) => a.getStates().get(doc.clientID)?.user?.name === "Ada", "server has the state");
    const res = await fetch(`${server.url}/parties/main/present/awareness`);
    expect(await res.json()).toEqual([{ clientId: doc.clientID, state: { user: { name: "Ada" } } }]);
  });
});
