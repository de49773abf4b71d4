/**
 * A room that proxies an upstream with `return fetch(upstream)` — the usual Workers/PartyKit pattern — must hand the
 * client the upstream's content. On Workers the runtime encodes the body per its `Content-Encoding` on the way out
 * (fetch decoded it on the way in), so the client gets what the upstream sent. yparty copies the upstream's
 * `Content-Encoding: gzip` and `Content-Length` onto the answer but writes the body undici already decompressed:
 * the client tries to gunzip plain text (or reads a truncated body).
 */
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";

const TEXT = "hello from upstream ".repeat(200);
let upstream: HttpServer | undefined;

afterEach(async () => {
  await cleanupAll();
  const server = upstream;
  upstream = undefined;
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function gzipUpstream(): Promise<string> {
  const server = createHttpServer((_req, res) => {
    const body = gzipSync(Buffer.from(TEXT));
    res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip", "content-length": body.length });
    res.end(body);
  });
  upstream = server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
}

describe("a room that proxies an upstream with `return fetch(upstream)`", () => {
  it("answers the upstream's text when the upstream compresses it (gzip)", async () => {
    const target = await gzipUpstream();
    class Relay implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onRequest() {
        return fetch(target);
      }
    }
    const { url } = await startServer({ main: Relay }, { storage: "memory" });
    const response = await fetch(`${url}/parties/main/proxy`);
    expect(response.status).toBe(200);
    // Before: TypeError "terminated" (Z_DATA_ERROR, "incorrect header check"): the body was plain text under
    // `Content-Encoding: gzip` and the compressed length.
    expect(await response.text()).toBe(TEXT);
  });

  it("answers the upstream's text from the main party's onFetch too", async () => {
    const target = await gzipUpstream();
    class Main implements Party.Server {
      constructor(readonly room: Party.Room) {}
      static onFetch() {
        return fetch(target);
      }
      onRequest() {
        return new Response("room");
      }
    }
    const { url } = await startServer({ main: Main }, { storage: "memory" });
    const response = await fetch(`${url}/api/upstream`);
    expect(await response.text()).toBe(TEXT);
  });
});
