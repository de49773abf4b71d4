/**
 * Requests answered while the server closes get `Connection: close`, and a long answer's socket is ended after it
 * (e857d8d), so that idle keep-alive sockets do not hold the shutdown. A socket may hold more than one request in
 * flight, though: HTTP/1.1 pipelining (undici's `pipelining` option, curl, proxies). Node hands a pipelined request
 * to the handler while the one before it is still being answered, and queues its answer behind; the `Connection:
 * close` of the first answer (or the `socket.end()` after it) then dropped the second answer.
 *
 * Since h90 a socket's requests are handled one after the other (a GET pipelined behind the POST creating a room
 * found no room): the pipelined request waits for the slow answer before it, and the shutdown began meanwhile. It is
 * answered all the same, 503 ERR_SHUTTING_DOWN (retry elsewhere), as if sent after the first answer; it is not applied.
 */
import { connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("pipelined requests at shutdown", () => {
  it("a pipelined request waiting behind a slow one when the shutdown begins gets its answer (503), after the slow one's", async () => {
    const answer = deferred();
    const slowStarted = deferred();
    let posted = 0;
    class Main implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest(req: Party.Request) {
        if (req.method === "POST") {
          posted++; // e.g. a change stored
          return new Response("stored");
        }
        slowStarted.resolve();
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
    // Both requests were parsed from the one write before the GET reached its room: the POST waits behind it.
    await waitFor(slowStarted.promise, "the slow GET to reach its room");
    const closed = t.stop();
    answer.resolve();
    await waitFor(gone, "the server to close the socket", 10_000);
    await waitFor(closed, "the server to close", 10_000);
    expect(received.match(/^HTTP\/1\.1 \d+/gm)).toEqual(["HTTP/1.1 200", "HTTP/1.1 503"]);
    expect(received).toContain("slow");
    expect(received).toContain("ERR_SHUTTING_DOWN");
    // When to retry, as every other 503 of a server that cannot serve now says (it had none).
    expect(received.slice(received.indexOf("HTTP/1.1 503"))).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(posted).toBe(0);
  });
});
