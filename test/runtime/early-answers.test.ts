/**
 * Answers given before the request's body came in whole (a party's refusal, a 413, an `onRequest` that never reads
 * the body) reach a client that is still uploading; the rest of the body is drained after the answer, within
 * `limits.maxDrainBytes` and `limits.drainTimeoutMs`, and not at all once the server closes.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { errorResponse } from "../../src/runtime/errors.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";
import { fetchMidUpload, uploadForever, uploadThenRead } from "../helpers/uploads.js";

afterEach(cleanupAll);

const MiB = 1024 * 1024;

/** Refuses every body unread, as a party with its own size limit would (from Content-Length, or at once). */
class Refuses implements Party.Server {
  static answered = deferred();
  onRequest() {
    Refuses.answered.resolve();
    return errorResponse("ERR_TOO_BIG", "Not reading that", 413);
  }
}

class Guarded implements Party.Server {
  static onBeforeRequest() {
    return errorResponse("ERR_UNAUTHORIZED", "Who are you?", 401);
  }
  onRequest() {
    return new Response("never");
  }
}

/** Answers with the request's own body, streamed back as it comes in. */
class Echo implements Party.Server {
  onRequest(req: Party.Request) {
    return new Response(req.body, { headers: { "content-type": "application/octet-stream" } });
  }
}

describe("an answer given while the body still comes in", () => {
  it("reaches a fetch client mid-upload and a client that reads only once it sent everything, from onRequest and onBeforeRequest", async () => {
    const { server, url } = await startServer({ main: Refuses, guarded: Guarded }, { storage: "memory" });
    const refused = { status: 413, headers: { connection: "close" }, body: JSON.stringify({ error: { code: "ERR_TOO_BIG", message: "Not reading that" } }) };
    expect(await fetchMidUpload(`${url}/parties/main/r`, { bytes: 8 * MiB })).toMatchObject(refused);
    expect(await uploadThenRead(server.port, "/parties/main/r", 8 * MiB)).toMatchObject(refused);
    const unauthorized = { status: 401, body: expect.stringContaining("ERR_UNAUTHORIZED") };
    expect(await fetchMidUpload(`${url}/parties/guarded/r`, { bytes: 8 * MiB })).toMatchObject(unauthorized);
    expect(await uploadThenRead(server.port, "/parties/guarded/r", 8 * MiB)).toMatchObject(unauthorized);
    // The server goes on serving.
    expect((await fetch(`${url}/parties/guarded/r`)).status).toBe(401);
  });

  it("may be the body itself: an echo streams all of it back, small or large, before the rest is drained", async () => {
    const { url } = await startServer({ main: Echo }, { storage: "memory" });
    for (const bytes of [1_000, 8 * MiB]) {
      const body = new Uint8Array(bytes).map((_, i) => i % 251);
      const echoed = new Uint8Array(await (await fetch(`${url}/parties/main/r`, { method: "POST", body })).arrayBuffer());
      expect(echoed.byteLength).toBe(bytes);
      expect(Buffer.compare(echoed, body)).toBe(0);
    }
  });

  it("drains at most maxDrainBytes of an endless upload, then closes the socket", async () => {
    const { server, logs } = await startServer({ main: Refuses }, { storage: "memory", limits: { maxDrainBytes: MiB, drainTimeoutMs: 60_000 } });
    const upload = await uploadForever(server.port, "/parties/main/r", { chunkBytes: 64 * 1024 });
    // What the kernel's buffers took on top of the 1 MiB read: far from the endless body.
    expect(upload.written).toBeLessThan(64 * MiB);
    const cut = logs.find((entry) => entry.event === "http.drain_cut");
    expect(cut).toMatchObject({ status: 413 });
    expect(cut!.drained).toBeGreaterThan(MiB);
  });

  it("drains an upload that trickles for at most drainTimeoutMs, having answered at once", async () => {
    const { server } = await startServer({ main: Refuses }, { storage: "memory", limits: { drainTimeoutMs: 300 } });
    const upload = await uploadForever(server.port, "/parties/main/r", { chunkBytes: 1024, everyMs: 10 });
    expect(upload.answer).toMatchObject({ status: 413, headers: { connection: "close" } });
    expect(upload.closedAfterMs).toBeGreaterThanOrEqual(300);
  });

  it("stops draining when the server closes: close() does not wait for an uploader", async () => {
    Refuses.answered = deferred();
    const test = await startServer({ main: Refuses }, { storage: "memory", limits: { drainTimeoutMs: 60_000, shutdownTimeoutMs: 60_000 } });
    const upload = uploadForever(test.server.port, "/parties/main/r", { chunkBytes: 1024, everyMs: 10 });
    await waitFor(Refuses.answered.promise, "the answer");
    await waitFor(test.stop(), "the server's close");
    expect((await upload).answer).toMatchObject({ status: 413 });
  });

  it("a client gone mid-body while onRequest reads it is no fault of the server's: not logged as one", async () => {
    class Reads implements Party.Server {
      async onRequest(req: Party.Request) {
        return new Response(`read ${(await req.text()).length}`);
      }
    }
    const server = await startServer({ main: Reads });
    const socket = net.connect(Number(new URL(server.url).port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write("POST /parties/main/r HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    socket.destroy(); // gone mid-body
    await server.logged("http.client_gone");
    // Before: room.request_failed ERR_INTERNAL at error level, which any client could write at will.
    expect(server.logs.filter((entry) => entry.level === "error")).toEqual([]);
  });
});
