/**
 * A HEAD answered with a Response that carries a body stream (a 204 or 304 cannot: the Response refuses one): the server lets the
 * stream go (`dropBody`, cancelled and not awaited) and answers at once. Attacked from the outside on one socket, with
 * requests pipelined behind: streams whose `cancel` throws, rejects, never settles, or that errored already; one
 * gzip-encoded (re-encoded on its way out, encodedForWire); a HEAD whose request body is still being uploaded (the
 * after-answer path: answered with Connection: close, the body drained). Every answer comes, in order, with nothing
 * left unhandled (vitest fails a run on an unhandled rejection).
 */
import { connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, deferred, pollUntil, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

const cancels: string[] = [];

/** `?body=how`: a 200 whose body stream misbehaves so when cancelled; `x-n` echoes `?n`. */
class Bodies implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onRequest(req: Party.Request) {
    const url = new URL(req.url);
    const how = url.searchParams.get("body") ?? "plain";
    const headers = new Headers({ "x-n": url.searchParams.get("n") ?? "" });
    if (url.searchParams.has("gzip")) headers.set("content-encoding", "gzip");
    const cancel = (): Promise<void> | undefined => {
      cancels.push(how);
      if (how === "throws") throw new Error("cancel threw");
      if (how === "rejects") return Promise.reject(new Error("cancel rejected"));
      if (how === "never") return new Promise(() => {});
      return undefined;
    };
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (how === "errored") controller.error(new Error("the source failed"));
      },
      pull: () => new Promise(() => {}), // nothing more, ever
      cancel,
    });
    return new Response(how === "plain" ? `n=${url.searchParams.get("n")}` : stream, { headers });
  }
}

/** Writes `requests` on one socket; resolves with what came back once `done(text)` says so, or the socket closed. */
function exchange(port: number, requests: string | string[], done: (text: string) => boolean): Promise<string> {
  const result = deferred<string>();
  let text = "";
  const socket = tcpConnect(port, "127.0.0.1", () => {
    for (const part of [requests].flat()) socket.write(part);
  });
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    text += chunk;
    if (done(text)) {
      socket.destroy();
      result.resolve(text);
    }
  });
  socket.on("close", () => result.resolve(text));
  socket.on("error", result.reject);
  return result.promise;
}

const numbers = (text: string) => [...text.matchAll(/^x-n: (\d+)\r$/gim)].map((match) => Number(match[1]));
const request = (method: string, query: string) => `${method} /parties/bodies/r?${query} HTTP/1.1\r\nHost: a\r\n\r\n`;

describe("a HEAD answered with a misbehaving body stream", () => {
  it("every kind, pipelined on one socket with GETs between: all answered, in order", async () => {
    const t = await startServer({ bodies: Bodies }, { storage: "memory" });
    const port = Number(new URL(t.url).port);
    cancels.length = 0;
    const kinds = ["throws", "rejects", "never", "errored"];
    const requests: string[] = [];
    let n = 0;
    for (let round = 0; round < 5; round++) {
      for (const kind of kinds) {
        requests.push(request("HEAD", `body=${kind}&n=${n++}`));
        requests.push(request("HEAD", `body=${kind}&gzip&n=${n++}`));
        requests.push(request("GET", `n=${n++}`));
      }
    }
    const last = n - 1;
    const text = await waitFor(
      exchange(port, requests.join(""), (got) => got.includes(`n=${last}`)),
      "every answer on the socket",
    );
    expect(numbers(text)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(text.match(/^HTTP\/1\.1 (\d+)/gm)).toHaveLength(n);
    // Each HEAD's stream was let go (a gzip one through its encoder; an errored one has nothing to cancel).
    await pollUntil("every HEAD's stream to be cancelled", async () => (cancels.length >= 30 ? true : undefined));
    expect(cancels.toSorted()).toEqual(["never", "rejects", "throws"].flatMap((kind) => Array<string>(10).fill(kind)));
  });

  it("a HEAD whose request body is still being uploaded: answered, and the socket serves no more (Connection: close)", async () => {
    const t = await startServer({ bodies: Bodies }, { storage: "memory" });
    const port = Number(new URL(t.url).port);
    for (const kind of ["throws", "rejects", "never", "errored"]) {
      const head = `HEAD /parties/bodies/r?body=${kind}&n=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n${"x".repeat(1000)}`;
      const text = await waitFor(
        exchange(port, head, (got) => got.includes("\r\n\r\n")),
        `the answer to a HEAD (${kind}) mid-upload`,
      );
      expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(text).toMatch(/\r\nconnection: close\r\n/i);
      expect(numbers(text)).toEqual([1]);
    }
  });
});
