/**
 * An attempt that never completes is given up after `connectTimeout` and retried: a `params()` that never settles (a
 * token fetch that hangs), a handshake nobody answers (a server accepting TCP and saying nothing). The provider stayed
 * "connecting" for good, and nothing typed meanwhile reached the server (found by an adversarial run).
 */
import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import * as Y from "yjs";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { destroyProviders, listen, makeProvider, nextEvent, waitUntil, type TestHttpServer } from "./support.js";

const servers: TestHttpServer[] = [];
afterEach(async () => {
  destroyProviders();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await cleanupAll();
});

describe("attempts that never complete", () => {
  it("a params() that never settles is given up after connectTimeout; the next attempt connects and what was typed is stored", async () => {
    const server = await startServer({ main: DocumentParty }, { storage: "memory" });
    let calls = 0;
    const params = () => (++calls === 1 ? new Promise<Record<string, string>>(() => {}) : Promise.resolve({ token: "t" }));
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "typed while stuck");
    const provider = makeProvider(server.url.replace("http://", ""), "stuck-params", { params, connectTimeout: 200 }, doc);
    const [error] = await nextEvent(provider, "connection-error");
    expect((error as unknown as Error).message).toMatch(/params\(\) did not settle within 200 ms/);
    await nextEvent(provider, "status", (event: { status: string }) => event.status === "connected");
    expect(calls).toBe(2);
    const reader = makeProvider(server.url.replace("http://", ""), "stuck-params");
    const text = () => reader.doc.getText("t").toString();
    await waitUntil(
      "the other client to get what was typed",
      () => text() === "typed while stuck",
      (recheck) => {
        reader.doc.on("update", recheck);
        return () => reader.doc.off("update", recheck);
      },
    );
  });

  it("a handshake nobody answers is given up after connectTimeout, and the next attempt connects", async () => {
    const wss = new WebSocketServer({ noServer: true });
    let upgrades = 0;
    const scripted = http.createServer((_req, res) => res.writeHead(404).end());
    scripted.on("upgrade", (req, socket, head) => {
      if (++upgrades === 1) return; // holds the first: the TCP connection is open, no answer ever comes
      wss.handleUpgrade(req, socket, head, () => {});
    });
    const listening = await listen(scripted);
    servers.push({ ...listening, close: async () => (wss.close(), await listening.close()) });
    const provider = makeProvider(`127.0.0.1:${listening.port}`, "silent", { connectTimeout: 200 });
    const [closed] = await nextEvent(provider, "connection-close");
    expect((closed as unknown as { reason: string }).reason).toBe("the socket did not open in time");
    await nextEvent(provider, "status", (event: { status: string }) => event.status === "connected");
    expect(upgrades).toBe(2);
  });
});
