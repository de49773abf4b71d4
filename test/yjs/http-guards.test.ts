/**
 * The HTTP API's guards against what a socket could not do: a body without Content-Length cannot grow past
 * the limit in memory, and a YServer that decides read-only per connection does not let viewers write over
 * HTTP.
 */
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { MAX_HTTP_UPDATE_BYTES } from "../../src/yjs/defaults.js";
import { DocumentParty, YServer } from "../../src/yjs/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";
import { fetchMidUpload, uploadThenRead } from "../helpers/uploads.js";

afterEach(cleanupAll);

function textUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText("body").insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

const postUpdate = (url: string, update: Uint8Array) =>
  fetch(url, { method: "POST", body: Buffer.from(update), headers: { "content-type": "application/octet-stream" } });

/** POSTs `total` bytes in 64 KiB chunks with no Content-Length; resolves with the status and how much was sent. */
function postChunked(url: string, total: number): Promise<{ status: number; connection: string | undefined; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/octet-stream", "transfer-encoding": "chunked" } });
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 1);
    let answered = false;
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered) req.end();
    };
    req.on("response", (res) => {
      answered = true;
      let body = "";
      res.on("data", (data: Buffer) => (body += data.toString()));
      res.on("end", () => {
        req.destroy(); // the body is never finished
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body, sent });
      });
    });
    // The server may close the socket once it has answered; that is the point.
    req.on("error", (error) => (answered ? undefined : reject(error)));
    pump();
  });
}

describe("HTTP API guards", () => {
  it("answers 413 (and closes) to a chunked body over the limit before reading all of it, and keeps serving", async () => {
    const { url } = await startServer({ main: DocumentParty }, { storage: "memory" });
    const total = MAX_HTTP_UPDATE_BYTES * 4;
    const answer = await waitFor(postChunked(`${url}/parties/main/big`, total), "the 413", 30_000);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "ERR_BODY_TOO_BIG" } });
    expect(answer.sent).toBeLessThan(total);
    // Not kept alive: the rest of the body is never read, and a socket paused on it would hold up the server's close.
    expect(answer.connection).toBe("close");
    expect((await postUpdate(`${url}/parties/main/small`, textUpdate("fine"))).status).toBe(200);
    expect(await (await fetch(`${url}/parties/main/small`)).json()).toEqual({ body: "fine" });
  });

  it("a client still uploading a body over maxHttpUpdateBytes reads the 413 and its JSON, not a broken pipe", async () => {
    const { server, url } = await startServer({ main: DocumentParty }, { storage: "memory" });
    const bytes = MAX_HTTP_UPDATE_BYTES + 1024 * 1024; // 17 MiB
    const body = JSON.stringify({ error: { code: "ERR_BODY_TOO_BIG", message: `The body is over ${MAX_HTTP_UPDATE_BYTES} bytes` } });
    const tooBig = { status: 413, headers: { connection: "close" }, body };
    // fetch (undici) reads the answer while it uploads: refused after 16 MiB read (chunked), or at the Content-Length.
    expect(await fetchMidUpload(`${url}/parties/main/big`, { bytes })).toMatchObject(tooBig);
    expect(await fetchMidUpload(`${url}/parties/main/big`, { bytes, headers: { "content-length": String(bytes) } })).toMatchObject(tooBig);
    // A client that reads only once it has sent everything gets it too: the server read the rest meanwhile.
    expect(await uploadThenRead(server.port, "/parties/main/big", bytes)).toMatchObject(tooBig);
  });

  it("takes the server's document limits from createServer({ documentLimits }): body size and structs per update, for every Yjs party", async () => {
    const { url } = await startServer({ main: DocumentParty }, { storage: "memory", documentLimits: { maxHttpUpdateBytes: 1_000, maxUpdateStructs: 3 } });
    const big = await postUpdate(`${url}/parties/main/room`, textUpdate("x".repeat(2_000)));
    expect({ status: big.status, body: await big.json() }).toMatchObject({ status: 413, body: { error: { code: "ERR_BODY_TOO_BIG" } } });
    const doc = new Y.Doc();
    for (let i = 0; i < 4; i++) doc.getMap("m").set(`k${i}`, i); // four structs
    const many = await postUpdate(`${url}/parties/main/room`, Y.encodeStateAsUpdate(doc));
    expect({ status: many.status, body: await many.json() }).toMatchObject({ status: 413, body: { error: { code: "ERR_UPDATE_TOO_LARGE" } } });
    expect((await postUpdate(`${url}/parties/main/room`, textUpdate("fits"))).status).toBe(200);
  });

  it("refuses HTTP writes of a YServer that overrides isReadOnly but not isReadOnlyRequest; isReadOnlyRequest decides when given", async () => {
    const isViewer = (url: string) => new URL(url, "http://x").searchParams.get("role") === "viewer";
    class PerConnection extends YServer {
      override isReadOnly(conn: Party.Connection) {
        return isViewer(conn.uri);
      }
    }
    class PerRequestToo extends PerConnection {
      override isReadOnlyRequest(req: Party.Request) {
        return isViewer(req.url);
      }
    }
    const { url } = await startServer({ main: PerConnection, both: PerRequestToo }, { storage: "memory" });
    const refused = await postUpdate(`${url}/parties/main/notes?role=viewer`, textUpdate("VANDAL"));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "ERR_READ_ONLY" } });

    expect((await postUpdate(`${url}/parties/both/notes?role=viewer`, textUpdate("VANDAL"))).status).toBe(403);
    expect((await postUpdate(`${url}/parties/both/notes?role=editor`, textUpdate("edit"))).status).toBe(200);
  });
});
