/**
 * Since h90 a socket's requests are handled one after the other (pipelining): each waits for the answer before it.
 * Node stops reading a socket only when the answers queued on it pile up, and a request waiting for its turn writes
 * none: a client that pipelined tiny GETs behind a slow answer had the server read and hold every one of them
 * (~2.4 KB of heap each, 100 000 requests of 29 bytes: ~240 MB). The socket is now read no further while more than
 * MAX_WAITING_REQUESTS wait (src/runtime/socket-turns.ts); the rest stays in the kernel's buffers.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_WAITING_REQUESTS } from "../../src/runtime/socket-turns.js";
import { startMemoryChild, stopMemoryChildren } from "../helpers/memory-child.js";
import { cleanupAll, deferred, pollUntil, startServer, waitFor } from "../helpers/server.js";

afterEach(stopMemoryChildren);

const MB = 1024 * 1024;
const REQUESTS = 100_000;

describe("a flood of requests pipelined behind a slow answer", () => {
  it("is not read into the server's memory while it waits", async () => {
    const child = await startMemoryChild({});
    const before = await child.memory();
    const socket = net.connect(child.port, "127.0.0.1");
    socket.on("error", () => {});
    const one = "GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n";
    let flushed = false;
    socket.write(`GET /__hold HTTP/1.1\r\nHost: a\r\n\r\n${one.repeat(REQUESTS)}`, () => (flushed = true));
    // The server reads whatever reaches it while it answers these (each answer is at least one turn of its event
    // loop, where a socket with bytes waiting is read): it had read all of it long before the last one.
    for (let round = 0; round < 200 && !flushed; round++) await child.memory("nogc");
    for (let round = 0; round < 20; round++) await child.memory("nogc");
    const after = await child.memory();
    socket.destroy();
    expect((after.heapUsed - before.heapUsed) / MB).toBeLessThan(30);
  }, 60_000);
});

describe("requests pipelined behind a slow answer whose client left", () => {
  it("are let go: the server keeps nothing of them once the slow answer is over", async () => {
    const child = await startMemoryChild({});
    const before = await child.memory();
    const holding = async () => ((await (await fetch(`${child.base}/__release?peek`)).json()) as { holding: number }).holding;
    for (let client = 0; client < 50; client++) {
      const socket = net.connect(child.port, "127.0.0.1");
      socket.on("error", () => {});
      const gone = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      socket.write(`GET /__hold HTTP/1.1\r\nHost: a\r\n\r\n${"GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n".repeat(300)}`);
      await pollUntil("the slow request to reach its route", async () => ((await holding()) === 1 ? true : undefined));
      socket.destroy();
      await waitFor(gone, "the socket closed");
      await fetch(`${child.base}/__release`);
    }
    await pollUntil("every slow answer given", async () => ((await holding()) === 0 ? true : undefined));
    const after = await child.memory();
    // The turns of a socket gone wait on answers Node never gives it: let go with the socket (held up: ~1.4 MB).
    expect((after.heapUsed - before.heapUsed) / MB).toBeLessThan(15);
  }, 60_000);
});

describe("many requests pipelined behind a slow answer", () => {
  afterEach(cleanupAll);

  it("are all answered in order once it is, bodies read past the pause, then a POST that waits for 100 Continue", async () => {
    const answer = deferred();
    const slowStarted = deferred();
    const routes = [
      async (req: Request) => {
        const path = new URL(req.url).pathname;
        if (path === "/slow") {
          slowStarted.resolve();
          await answer.promise;
          return new Response("slow");
        }
        return new Response(`${path}:${(await req.text()).length}`);
      },
    ];
    const t = await startServer({}, { storage: "memory", routes });
    const socket = net.connect(Number(new URL(t.url).port), "127.0.0.1");
    socket.on("error", () => {});
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (received += chunk));
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    // 3 x MAX_WAITING_REQUESTS POSTs of 4 KB: past the pause, and longer than one read of the socket.
    const count = 3 * MAX_WAITING_REQUESTS;
    const posts = Array.from({ length: count }, (_, i) => `POST /p${i} HTTP/1.1\r\nHost: a\r\nContent-Length: 4096\r\n\r\n${"x".repeat(4096)}`);
    socket.write(`GET /slow HTTP/1.1\r\nHost: a\r\n\r\n${posts.join("")}`);
    socket.write("POST /last HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n");
    await waitFor(slowStarted.promise, "the slow request to reach its route");
    answer.resolve();
    await waitFor(
      pollUntil("100 Continue", async () => received.includes("HTTP/1.1 100 Continue") || undefined),
      "the POST at the end to be told to send its body",
    );
    socket.write("hello");
    await waitFor(closed, "every answer, then the socket closed", 10_000);
    const bodies = [...received.matchAll(/\r\n(slow|\/\w+:\d+)\r\n/g)].map((match) => match[1]);
    expect(bodies).toEqual(["slow", ...Array.from({ length: count }, (_, i) => `/p${i}:4096`), "/last:5"]);
  });
});

describe("a flood of requests pipelined behind a slow answer when the server closes", () => {
  afterEach(cleanupAll);

  it("does not hold the shutdown: the socket, no longer read, is closed once the server ended its side", async () => {
    const answer = deferred();
    const slowStarted = deferred();
    const routes = [
      async (req: Request) => {
        if (new URL(req.url).pathname !== "/slow") return new Response("quick");
        slowStarted.resolve();
        await answer.promise;
        return new Response("slow");
      },
    ];
    // A timeout far past the wait below: a shutdown that waited for the socket would fail it.
    const t = await startServer({}, { storage: "memory", routes, limits: { shutdownTimeoutMs: 60_000 } });
    const socket = net.connect(Number(new URL(t.url).port), "127.0.0.1");
    socket.on("error", () => {});
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (received += chunk));
    const gone = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.write(`GET /slow HTTP/1.1\r\nHost: a\r\n\r\n${"GET /quick HTTP/1.1\r\nHost: a\r\n\r\n".repeat(50_000)}`);
    await waitFor(slowStarted.promise, "the slow request to reach its route");
    const closed = t.stop();
    answer.resolve();
    await waitFor(closed, "the server to close", 10_000);
    await waitFor(gone, "the socket closed", 10_000);
    expect(received.match(/^HTTP\/1\.1 \d+/gm)?.slice(0, 2)).toEqual(["HTTP/1.1 200", "HTTP/1.1 503"]);
  }, 30_000);
});
