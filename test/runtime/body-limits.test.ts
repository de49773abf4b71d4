/**
 * Request bodies being read, server-wide: a body that stops coming in is cut (408 ERR_BODY_TIMEOUT), and past
 * `maxBodyBytesInFlight` a body is cut and its request answered 503 ERR_SERVER_BUSY with Retry-After, whatever parties
 * do with bodies (a party's own `onRequest` here, reading the whole body).
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

/** The server's count of body bytes read and not answered yet (no event says when a stalled body was read). */
const bodyBytesHeld = (server: unknown): number => (server as { bodies: { budget: { held: number } } }).bodies.budget.held;

/** Answers with how many bytes its body held (read whole). */
class Sizer implements Party.Server {
  constructor(readonly room: Party.Room) {}
  async onRequest(request: Party.Request): Promise<Response> {
    return Response.json({ bytes: (await request.arrayBuffer()).byteLength });
  }
}

/** A raw POST of `sent` bytes of a `declared`-byte body, left open; resolves with the answer's status line and body. */
function stalledPost(url: string, path: string, declared: number, sent: number): { answer: Promise<string>; socket: net.Socket } {
  const socket = net.connect(Number(new URL(url).port), "127.0.0.1");
  socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`);
  socket.write(Buffer.alloc(sent, 1));
  let text = "";
  socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
  socket.on("error", () => {});
  const answer = new Promise<string>((resolve) => {
    socket.on("data", () => text.includes("\r\n\r\n") && text.includes("}") && resolve(text));
    socket.on("close", () => resolve(text));
  });
  return { answer, socket };
}

describe("request bodies being read", () => {
  it("a body that stops coming in is cut after bodyIdleTimeoutMs: 408 ERR_BODY_TIMEOUT", async () => {
    const server = await startServer({ main: Sizer }, { storage: "memory", limits: { bodyIdleTimeoutMs: 200 } });
    const { answer, socket } = stalledPost(server.url, "/parties/main/r", 1000, 10);
    try {
      const text = await waitFor(answer, "the stalled body to be cut");
      // Before: held until Node's own requestTimeout (300 s).
      expect(text).toMatch(/^HTTP\/1.1 408/);
      expect(text).toContain("ERR_BODY_TIMEOUT");
    } finally {
      socket.destroy();
    }
  });

  it("past maxBodyBytesInFlight a body is cut and answered 503 with Retry-After; once the others are answered, bodies are read again", async () => {
    const server = await startServer({ main: Sizer }, { storage: "memory", limits: { maxBodyBytesInFlight: 1024 * 1024 } });
    // Bodies that stop one byte short of their end hold what they sent: 0.75 MiB of the 1 MiB budget.
    const held = [0, 1, 2].map((i) => stalledPost(server.url, `/parties/main/held-${i}`, 256 * 1024 + 1, 256 * 1024));
    try {
      await waitFor(
        (async () => {
          while (bodyBytesHeld(server.server) < 3 * 256 * 1024) await new Promise((resolve) => setImmediate(resolve));
        })(),
        "the held bodies to be read",
      );
      const refused = await fetch(`${server.url}/parties/main/big`, { method: "POST", body: new Uint8Array(512 * 1024) });
      // Before: read whole however many were held at once (16 stalled uploads of 4 MiB held 64 MiB).
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("ERR_SERVER_BUSY");
      // A small one still fits.
      expect(await (await fetch(`${server.url}/parties/main/small`, { method: "POST", body: new Uint8Array(1000) })).json()).toEqual({ bytes: 1000 });
    } finally {
      for (const { socket } of held) socket.destroy();
    }
    // The held bodies' clients went away: their bytes are given back, and a large body is read again.
    await waitFor(
      (async () => {
        for (;;) {
          const response = await fetch(`${server.url}/parties/main/big`, { method: "POST", body: new Uint8Array(512 * 1024) });
          if (response.status === 200) return expect(await response.json()).toEqual({ bytes: 512 * 1024 });
          await response.arrayBuffer();
          await new Promise((resolve) => setImmediate(resolve));
        }
      })(),
      "a large body to be read once the budget is free",
    );
  });
});
