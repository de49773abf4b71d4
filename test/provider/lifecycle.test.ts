/**
 * What the provider does with frames and timers, against a scripted server speaking the wire codec: chunked
 * frames from the server, frames it cannot read, periodic resync, and a clean destroy.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from "y-protocols/awareness";
import * as Y from "yjs";
import { decodeMessage, encodeAwareness, encodeSyncStep1, encodeSyncStep2, splitIntoChunks } from "../../src/protocol/index.js";
import { destroyProviders, makeProvider, nextEvent, scriptedWsServer, synced, waitUntil, type TestHttpServer } from "./support.js";

const servers: TestHttpServer[] = [];
afterEach(async () => {
  destroyProviders();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A server that answers the provider's step 1 with `serverDoc`'s state, chunked into `chunkBytes` pieces. */
async function docServer(serverDoc: Y.Doc, chunkBytes: number, onFrame: (type: string) => void = () => {}) {
  const server = await scriptedWsServer((socket) => {
    socket.send(encodeSyncStep1(Y.encodeStateVector(serverDoc)));
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const message = decodeMessage(new Uint8Array(data));
      onFrame(message.type);
      if (message.type === "sync-step1") {
        for (const part of splitIntoChunks(encodeSyncStep2(Y.encodeStateAsUpdate(serverDoc, message.stateVector)), chunkBytes)) {
          socket.send(part);
        }
      }
    });
  });
  servers.push(server);
  return server;
}

describe("frames from the server", () => {
  it("reassembles a chunked (y-pk-batch) step 2 from the server", async () => {
    const serverDoc = new Y.Doc();
    serverDoc.getText("t").insert(0, "a".repeat(5_000));
    const server = await docServer(serverDoc, 1_000);
    const provider = makeProvider(server.host, "chunked");
    await synced(provider);
    expect(provider.doc.getText("t").toString()).toBe("a".repeat(5_000));
  });

  it("reports an unreadable frame as ERR_BAD_FRAME and stays connected", async () => {
    const server = await scriptedWsServer((socket) => socket.send(new Uint8Array([0x63, 0x01])));
    servers.push(server);
    const provider = makeProvider(server.host, "garbage");
    const [error] = await nextEvent(provider, "connection-error");
    expect((error as { code?: string }).code).toBe("ERR_BAD_FRAME");
    expect(provider.wsconnected).toBe(true);
  });

  it("sends a sync step 1 every resyncInterval", async () => {
    let step1s = 0;
    const seen = new Set<() => void>();
    const server = await docServer(new Y.Doc(), 1_000_000, (type) => {
      if (type === "sync-step1") step1s++;
      seen.forEach((recheck) => recheck());
    });
    makeProvider(server.host, "resync", { resyncInterval: 20 });
    await waitUntil(
      "three step 1 frames (one on open, two resyncs)",
      () => step1s >= 3,
      (recheck) => {
        seen.add(recheck);
        return () => seen.delete(recheck);
      },
    );
  });
});

describe("presence", () => {
  it("answers a remote 'you are gone' about itself by announcing its state again", async () => {
    // The server mirrors our awareness; once it has our entry it announces that entry as removed.
    const mirror = new Awareness(new Y.Doc());
    mirror.setLocalState(null);
    const announcements: Array<{ clock: number; state: unknown }> = [];
    const seen = new Set<() => void>();
    const server = await scriptedWsServer((socket) => {
      socket.on("message", (data: Buffer, isBinary: boolean) => {
        if (!isBinary) return;
        const message = decodeMessage(new Uint8Array(data));
        if (message.type !== "awareness") return;
        applyAwarenessUpdate(mirror, message.update, "client");
        const [client] = [...mirror.meta.keys()].filter((id) => id !== mirror.clientID);
        announcements.push({ clock: mirror.meta.get(client!)!.clock, state: mirror.getStates().get(client!) ?? null });
        seen.forEach((recheck) => recheck());
        if (announcements.length === 1) {
          socket.send(encodeAwareness(encodeAwarenessUpdate(mirror, [client!], new Map())));
        }
      });
    });
    const provider = makeProvider(server.host, "presence");
    provider.awareness.setLocalStateField("user", "Ada");
    await waitUntil(
      "the provider to re-announce itself",
      () => announcements.length >= 2,
      (recheck) => {
        seen.add(recheck);
        return () => seen.delete(recheck);
      },
    );
    expect(announcements[1]!.clock).toBeGreaterThan(announcements[0]!.clock);
    expect(announcements[1]!.state).toEqual({ user: "Ada" });
    expect(provider.awareness.getLocalState()).toEqual({ user: "Ada" });
    mirror.destroy();
  });
});

describe("destroy", () => {
  it("detaches from the document, destroys only an awareness it made, and ignores connect() afterwards", async () => {
    const server = await docServer(new Y.Doc(), 1_000_000);
    const doc = new Y.Doc();
    const shared = new Awareness(doc);
    const observers = (target: object, name: string) => (target as { _observers: Map<string, Set<unknown>> })._observers.get(name)?.size ?? 0;
    const before = observers(doc, "update");
    const withShared = makeProvider(server.host, "destroy", { awareness: shared }, doc);
    const withOwn = makeProvider(server.host, "destroy", {}, doc);
    await Promise.all([synced(withShared), synced(withOwn)]);
    expect(observers(doc, "update")).toBe(before + 2);

    const closed = nextEvent(withOwn, "connection-close");
    withOwn.destroy();
    withShared.destroy();
    expect((await closed)[0]).toMatchObject({ code: 1000, wasClean: true });
    expect(observers(doc, "update")).toBe(before);
    expect(observers(shared, "update")).toBe(0);
    expect(shared.getLocalState()).not.toBeNull(); // not ours to destroy
    expect(withOwn.awareness.getLocalState()).toBeNull(); // ours: destroyed
    await withOwn.connect();
    expect(withOwn.ws).toBeNull();
    expect(withOwn.shouldConnect).toBe(false);
    shared.destroy();
  });
});
