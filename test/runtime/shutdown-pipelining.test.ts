/**
 * Requests answered while the server closes get `Connection: close`, and a long answer's socket is ended after it
 * (e857d8d), so that idle keep-alive sockets do not hold the shutdown. A socket may hold more than one request in
 * flight, though: HTTP/1.1 pipelining (undici's `pipelining` option, curl, proxies). Node hands a pipelined request
 * to the handler while the one before it is still being answered, and queues its answer behind; the `Connection:
 * close` of the first answer (or the `socket.end()` after it) then drops the second answer, whose request was handled.
 */
import { connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, deferred, pollUntil, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("pipelined requests at shutdown", () => {
  it("a pipelined request handled before the shutdown gets its answer, after the slow one before it", async () => {
    const answer = deferred();
    let posted = 0;
    class Main implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest(req: Party.Request) {
        if (req.method === "POST") {
          posted++; // e.g. a change stored
          return new Response("stored");
        }
        await answer.promise;
        return new Response("slow");
      }
    }
    const t = await startServer({ main: Main }, { storage: "memory", limits: { shutdownTimeoutMs: 30_000 } });
    const socket = tcpConnect(Number(new URL(t.url).port), "127.0.0.1");
    socket.on("error", () => {});
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (received += chunk));
    const gone = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.write(
      "GET /parties/main/slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + "POST /parties/main/other HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\nhi",
    );
    // Both requests reached their rooms before the shutdown: the POST is handled, its answer queued behind the GET's.
    await pollUntil("the POST to be handled", async () => (posted === 1 ? true : undefined));
    const closed = t.stop();
    answer.resolve();
    await waitFor(gone, "the server to close the socket", 10_000);
    await waitFor(closed, "the server to close", 10_000);
    expect(received.match(/^HTTP\/1\.1 \d+/gm)).toEqual(["HTTP/1.1 200", "HTTP/1.1 200"]);
    expect(received).toContain("stored");
  });
});
