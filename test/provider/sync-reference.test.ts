/**
 * Sync and awareness through y-websocket's reference server (@y/websocket-server), which speaks the same
 * binary protocol: proves the provider is a plain y-protocols peer, independent of yparty's server; and that a hidden
 * provider sends such a server no wake-up call (a yparty text frame: only to a server that sent a durable ack).
 */
import http from "node:http";
import { setupWSConnection } from "@y/websocket-server/utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { awarenessChanges, converged, destroyProviders, listen, makeProvider, synced, waitUntil, type TestHttpServer } from "./support.js";

let server: TestHttpServer;
let wss: WebSocketServer;
/** Text frames the server received (y-protocols peers send none of their own). */
let textFrames: string[];

beforeEach(async () => {
  wss = new WebSocketServer({ noServer: true });
  textFrames = [];
  const httpServer = http.createServer((_req, res) => res.writeHead(404).end());
  httpServer.on("upgrade", (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on("message", (data, isBinary) => void (isBinary || textFrames.push(String(data))));
      setupWSConnection(ws, req);
    }),
  );
  server = await listen(httpServer);
});

afterEach(async () => {
  destroyProviders();
  for (const client of wss.clients) client.terminate();
  wss.close();
  await server.close();
});

const text = (doc: import("yjs").Doc) => doc.getText("t").toString();
let roomCounter = 0;
const freshRoom = () => `ref-${process.pid}-${++roomCounter}`;

describe("against the reference y-websocket server", () => {
  it("syncs text both ways and shows each other's awareness", async () => {
    const room = freshRoom();
    const a = makeProvider(server.host, room);
    const b = makeProvider(server.host, room);
    await Promise.all([synced(a), synced(b)]);
    a.doc.getText("t").insert(0, "hello");
    await converged([b.doc], text, "hello");
    b.doc.getText("t").insert(5, " world");
    await converged([a.doc, b.doc], text, "hello world");

    a.awareness.setLocalStateField("user", { name: "Ada" });
    await waitUntil(
      "b to see Ada",
      () => (b.awareness.getStates().get(a.doc.clientID) as { user?: { name: string } } | undefined)?.user?.name === "Ada",
      awarenessChanges(b.awareness),
    );
  });

  it("sends edits made while disconnected once it reconnects", async () => {
    const room = freshRoom();
    const a = makeProvider(server.host, room);
    const b = makeProvider(server.host, room);
    await Promise.all([synced(a), synced(b)]);
    a.disconnect();
    expect(a.wsconnected).toBe(false);
    a.doc.getText("t").insert(0, "offline edit");
    expect(text(b.doc)).toBe("");
    void a.connect();
    await converged([b.doc], text, "offline edit");
  });

  it("removes a peer's awareness when it disconnects", async () => {
    const room = freshRoom();
    const a = makeProvider(server.host, room);
    const b = makeProvider(server.host, room);
    a.awareness.setLocalStateField("user", "a");
    await Promise.all([synced(a), synced(b)]);
    const seen = () => b.awareness.getStates().has(a.doc.clientID);
    const watch = awarenessChanges(b.awareness);
    await waitUntil("b to see a", seen, watch);
    a.disconnect();
    await waitUntil("b to drop a", () => !seen(), watch);
  });

  it("a hidden provider sends no wake-up call to a server that sent no durable ack, and syncs on", async () => {
    const room = freshRoom();
    // What the provider reads to know its page is hidden (provider/page-events.ts): both providers are hidden.
    Object.assign(globalThis, { document: { visibilityState: "hidden" } });
    try {
      const hidden = makeProvider(server.host, room);
      const other = makeProvider(server.host, room);
      hidden.awareness.setLocalStateField("user", "hidden");
      await Promise.all([synced(hidden), synced(other)]);
      for (const word of ["one", "two", "three"]) {
        other.doc.getText("t").insert(0, word); // a frame to the hidden provider each
        await converged([hidden.doc], (doc) => doc.getText("t").toString().slice(0, word.length), word);
      }
      other.awareness.setLocalStateField("user", "other");
      await waitUntil("the hidden provider to see the other", () => hidden.awareness.getStates().has(other.doc.clientID), awarenessChanges(hidden.awareness));
      // Before, one per connection: the reference server ignores it, y-partykit's logs an error for it.
      expect(textFrames).toEqual([]);
      expect(hidden.wsconnected).toBe(true);
      hidden.doc.getText("t").insert(0, "back");
      await converged([other.doc], (doc) => doc.getText("t").toString().slice(0, 4), "back");
    } finally {
      Reflect.deleteProperty(globalThis, "document");
    }
  });
});
