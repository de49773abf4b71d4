/**
 * A HEAD answered with a body stream has nothing to send: the server cancels the stream instead of
 * reading it. A stream whose `cancel` never settles (a log tail that waits on its source) held the answer, and since a
 * socket's requests are answered one after the other (h90), every request pipelined behind it waited forever.
 */
import { connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

const cancelled = { count: 0 };

class Tail implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onRequest(req: Party.Request) {
    if (new URL(req.url).searchParams.has("next")) return new Response("next");
    const stream = new ReadableStream<Uint8Array>({
      pull: () => new Promise(() => {}), // a tail: nothing more, ever
      cancel: () => {
        cancelled.count++;
        return new Promise(() => {}); // waits on a source that never answers
      },
    });
    return new Response(stream);
  }
}

/** Writes `requests` on one socket and resolves with what came back once `answers` status lines arrived. */
function pipelined(port: number, requests: string, answers: number): Promise<string> {
  const done = deferred<string>();
  let text = "";
  const socket = tcpConnect(port, "127.0.0.1", () => socket.write(requests));
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    text += chunk;
    if ((text.match(/^HTTP\/1\.1 \d+/gm)?.length ?? 0) >= answers && /\r\nnext\r\n0\r\n\r\n$/.test(text)) {
      socket.destroy();
      done.resolve(text);
    }
  });
  socket.on("error", done.reject);
  return done.promise;
}

describe("a HEAD answered with a stream whose cancel never settles", () => {
  it("does not hold the requests pipelined behind it", async () => {
    const t = await startServer({ tail: Tail }, { storage: "memory" });
    const port = Number(new URL(t.url).port);
    const head = "HEAD /parties/tail/r HTTP/1.1\r\nHost: a\r\n\r\n";
    const next = "GET /parties/tail/r?next HTTP/1.1\r\nHost: a\r\n\r\n";
    const text = await waitFor(pipelined(port, head + next, 2), "both answers on the socket");
    expect(text.match(/^HTTP\/1\.1 \d+/gm)).toEqual(["HTTP/1.1 200", "HTTP/1.1 200"]);
    expect(cancelled.count, "the HEAD's stream was cancelled").toBe(1);
  });
});
