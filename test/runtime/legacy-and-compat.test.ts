import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { onConnect as yPartykitOnConnect } from "y-partykit";
import ProviderModule from "y-partykit/provider";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

// y-partykit's .d.ts is read as CommonJS, so TypeScript sees the module where Node gives the default export.
const YPartyKitProvider = ProviderModule as unknown as typeof ProviderModule.default;

describe("the legacy object API (PartyKitServer)", () => {
  it("calls onConnect(conn, room, ctx), message listeners, onMessage(msg, conn, room) and onRequest(req, room)", async () => {
    const legacy: Party.PartyKitServer = {
      onConnect(conn: Party.PartyKitConnection, room: Party.PartyKitRoom, ctx: Party.PartyKitContext) {
        conn.addEventListener("message", (event) => {
          conn.send(`listener got ${String((event as MessageEvent).data)} of ${room.connections.size}`);
        });
        room.broadcast(`joined ${conn.id} via ${new URL(ctx.request.url).pathname}`);
      },
      onMessage(message, conn, room) {
        room.broadcast(`onMessage ${String(message)}`, [conn.id]);
      },
      onRequest(_req, room) {
        return Response.json({ room: room.id, connections: [...room.connections.keys()].sort() });
      },
    };
    const { url, wsUrl } = await startServer({ legacy });
    const a = connect(wsUrl("/parties/legacy/old?_pk=a"));
    expect(await a.next()).toBe("joined a via /parties/legacy/old");
    const b = connect(wsUrl("/parties/legacy/old?_pk=b"));
    expect(await a.next()).toBe("joined b via /parties/legacy/old");
    expect(await b.next()).toBe("joined b via /parties/legacy/old");
    b.send("ping");
    expect(await b.next()).toBe("listener got ping of 2");
    expect(await a.next()).toBe("onMessage ping");
    expect(await (await fetch(`${url}/parties/legacy/old`)).json()).toEqual({ room: "old", connections: ["a", "b"] });
  });

  it("waits for an async close listener's storage write before the server closes its storage", async () => {
    const listenerRan = deferred();
    const legacy: Party.PartyKitServer = {
      onConnect(conn, room) {
        conn.addEventListener("close", async () => {
          listenerRan.resolve();
          // A flush that takes a few turns, as y-partykit's snapshot write does.
          for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
          await room.storage.put("flushed", "yes");
        });
        conn.send("ready");
      },
      async onRequest(_req, room) {
        return Response.json({ flushed: (await room.storage.get("flushed")) ?? null });
      },
    };
    const first = await startServer({ legacy });
    const client = connect(first.wsUrl("/parties/legacy/flush"));
    expect(await client.next()).toBe("ready");
    await first.stop();
    await waitFor(listenerRan.promise, "the close listener");
    expect(first.logs.filter((entry) => entry.level === "warn" || entry.level === "error")).toEqual([]);
    const second = await first.restart();
    expect(await (await fetch(`${second.url}/parties/legacy/flush`)).json()).toEqual({ flushed: "yes" });
  });

  it("runs y-partykit's own onConnect unmodified, with snapshot persistence in room.storage across a restart", async () => {
    const yjsParty: Party.PartyKitServer = {
      onConnect(conn, room) {
        // y-partykit is typed against partykit/server; the objects are the same shape.
        return yPartykitOnConnect(conn as never, room as never, { persist: { mode: "snapshot" } });
      },
    };
    const first = await startServer({ main: yjsParty });
    const docA = new Y.Doc();
    const docB = new Y.Doc();
    const options = { WebSocketPolyfill: WebSocket as never, disableBc: true } as never;
    const host = `127.0.0.1:${first.server.port}`;
    const providerA = new YPartyKitProvider(host, "shared", docA, options);
    const providerB = new YPartyKitProvider(host, "shared", docB, options);
    try {
      const synced = deferred();
      docB.getText("t").observe(() => {
        if (docB.getText("t").toString() === "hello from A") synced.resolve();
      });
      docA.getText("t").insert(0, "hello from A");
      await waitFor(synced.promise, "B to receive A's edit");
    } finally {
      providerA.destroy();
      providerB.destroy();
    }
    const second = await first.restart();
    const docC = new Y.Doc();
    const providerC = new YPartyKitProvider(`127.0.0.1:${second.server.port}`, "shared", docC, options);
    try {
      const loaded = new Promise<void>((resolve) => providerC.on("sync", (isSynced: boolean) => isSynced && resolve()));
      await waitFor(loaded, "C to sync after the restart");
      expect(docC.getText("t").toString()).toBe("hello from A");
    } finally {
      providerC.destroy();
    }
  });
});
