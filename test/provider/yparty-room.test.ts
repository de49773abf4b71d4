/**
 * The provider against a real yparty server with the built-in Yjs room (`DocumentParty`): sync, presence,
 * custom messages, large updates, params refreshed across a server restart on the same port, and the
 * durable save status.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStorage } from "../../persistence/index.js";
import { decodeMessage } from "../../src/protocol/index.js";
import type { DocStore, Storage } from "../../persistence/types.js";
import { createServer, silentLogger, type YpartyServer } from "../../src/runtime/index.js";
import type * as Party from "../../src/runtime/index.js";
import { DocumentParty, YServer } from "../../src/yjs/index.js";
import type { ChangeRefusal } from "../../provider/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { awarenessChanges, converged, destroyProviders, makeProvider, nextEvent, synced, waitUntil } from "./support.js";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  destroyProviders();
  for (const close of closers.splice(0).reverse()) await close();
  await cleanupAll();
});

const text = (doc: import("yjs").Doc) => doc.getText("t").toString();
const watchAwareness = awarenessChanges;

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "yparty-provider-"));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(options: { port?: number; dir?: string; storage?: Storage }): Promise<YpartyServer> {
  const server = createServer({
    parties: { main: DocumentParty },
    port: options.port ?? 0,
    host: "127.0.0.1",
    ...(options.storage ? { storage: options.storage } : { persist: options.dir ? { dir: options.dir } : false }),
    logger: silentLogger(),
  });
  await server.listen();
  return server;
}

describe("provider + DocumentParty", () => {
  it("syncs text and presence between two providers, and drops a peer's presence on disconnect", async () => {
    const { url } = await startServer({ main: DocumentParty });
    const a = makeProvider(url, "room-sync");
    const b = makeProvider(url, "room-sync");
    a.awareness.setLocalStateField("user", "Ada");
    await Promise.all([synced(a), synced(b)]);
    a.doc.getText("t").insert(0, "hello");
    await converged([b.doc], text, "hello");
    b.doc.getText("t").insert(5, " world");
    await converged([a.doc, b.doc], text, "hello world");
    const seesAda = () => (b.awareness.getStates().get(a.doc.clientID) as { user?: string } | undefined)?.user === "Ada";
    await waitUntil("b to see Ada", seesAda, watchAwareness(b.awareness));
    a.disconnect();
    await waitUntil("b to drop Ada", () => !b.awareness.getStates().has(a.doc.clientID), watchAwareness(b.awareness));
  });

  it("keeps a room name with /, ?, # and % as one room with exactly that id", async () => {
    const { url } = await startServer({ main: DocumentParty });
    const room = "team a/notes?draft=1#top 50%";
    const a = makeProvider(url, room);
    const b = makeProvider(url, room);
    await Promise.all([synced(a), synced(b)]);
    a.doc.getText("t").insert(0, "same room");
    await converged([b.doc], text, "same room");
    const listed = (await (await fetch(`${url}/parties/main`)).json()) as { rooms: Array<{ id: string }> };
    expect(listed.rooms.map((r) => r.id)).toContain(room);
    expect(await (await fetch(`${url}/parties/main/${encodeURIComponent(room)}`)).json()).toEqual({ t: "same room" });
  });

  it("exchanges custom messages with a YServer", async () => {
    class Echo extends YServer {
      override onCustomMessage(connection: Party.Connection, message: string) {
        this.sendCustomMessage(connection, `echo:${message}`);
        this.broadcastCustomMessage(`heard:${message}`, connection);
      }
    }
    const { url } = await startServer({ main: Echo });
    const a = makeProvider(url, "room-custom");
    const b = makeProvider(url, "room-custom");
    await Promise.all([synced(a), synced(b)]);
    const echoed = nextEvent(a, "custom-message");
    const heard = nextEvent(b, "custom-message");
    expect(a.sendMessage("ping")).toBe(true);
    expect(await echoed).toEqual(["echo:ping"]);
    expect(await heard).toEqual(["heard:ping"]);
  });

  it("sends an update over 1 MB in chunks and the other side receives it whole", async () => {
    const { url } = await startServer({ main: DocumentParty });
    const a = makeProvider(url, "room-large");
    const b = makeProvider(url, "room-large");
    await Promise.all([synced(a), synced(b)]);
    const big = "x".repeat(1_500_000);
    a.doc.getText("t").insert(0, big);
    await converged([b.doc], text, big);
  });

  it("evaluates async params again on reconnect after the server restarted on the same port", async () => {
    const dir = await tempDir();
    const first = await serve({ dir });
    closers.push(() => first.close());
    const port = first.port;
    let issued = 0;
    const tokens: string[] = [];
    const provider = makeProvider(`127.0.0.1:${port}`, "room-restart", {
      params: async () => {
        await Promise.resolve();
        const token = `token-${++issued}`;
        tokens.push(token);
        return { token };
      },
    });
    await synced(provider);
    provider.doc.getText("t").insert(0, "before restart");
    await nextEvent(provider, "unsynced-changes", (count: number) => count === 0);
    const firstUrl = provider.url;

    const lost = nextEvent(provider, "status", (event: { status: string }) => event.status === "disconnected");
    await first.close();
    await lost;
    const resynced = nextEvent(provider, "synced", (state: boolean) => state); // before the server is back: it may sync at once
    const second = await serve({ dir, port });
    closers.push(() => second.close());
    await resynced;
    expect(new URL(firstUrl).searchParams.get("token")).toBe("token-1");
    expect(new URL(provider.url).searchParams.get("token")).toBe(tokens.at(-1));
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expect(text(provider.doc)).toBe("before restart");
    // The restarted server loaded the document from disk: a fresh client sees it.
    const fresh = makeProvider(`127.0.0.1:${port}`, "room-restart");
    await synced(fresh);
    expect(text(fresh.doc)).toBe("before restart");
  });
});

/** A storage whose document appends wait for `release()`, to see what the client reports meanwhile. */
function heldStorage(inner: Storage) {
  let release: () => void = () => {};
  let held: Promise<void> | null = null;
  const appended: string[] = [];
  const docs: DocStore = {
    load: (name) => inner.docs.load(name),
    append: async (name, update) => {
      if (held) await held;
      await inner.docs.append(name, update);
      appended.push(name);
    },
    compact: (name, state) => inner.docs.compact(name, state),
    delete: (name) => inner.docs.delete(name),
    names: () => inner.docs.names(),
    stats: (name) => inner.docs.stats(name),
  };
  const storage: Storage = { docs, kv: (room) => inner.kv(room), kvRooms: () => inner.kvRooms(), location: inner.location, close: () => inner.close() };
  return {
    storage,
    appended,
    hold() {
      held = new Promise((resolve) => (release = resolve));
    },
    release() {
      held = null;
      release();
    },
  };
}

describe("durable save status", () => {
  it("counts a local edit as unsynced until the server's durable write, even after peers have it", async () => {
    const dir = await tempDir();
    const inner = await openStorage({ dir });
    closers.push(() => inner.close());
    const held = heldStorage(inner);
    const server = await serve({ storage: held.storage });
    closers.push(() => server.close());
    const a = makeProvider(server.url, "room-save");
    const b = makeProvider(server.url, "room-save");
    await Promise.all([synced(a), synced(b)]);

    held.hold();
    const counts: number[] = [];
    a.on("unsynced-changes", (count) => counts.push(count));
    a.doc.getText("t").insert(0, "draft");
    expect(a.unsyncedChanges).toBe(1);
    // The server applied and relayed the edit: b has it, yet it is not on disk, and a still says so.
    await converged([b.doc], text, "draft");
    expect(a.unsyncedChanges).toBe(1);
    expect(held.appended).not.toContain("main/room-save");

    const saved = nextEvent(a, "unsynced-changes", (count: number) => count === 0);
    held.release();
    await saved;
    expect(held.appended).toContain("main/room-save");
    expect(counts).toEqual([1, 0]);
    expect(b.unsyncedChanges).toBe(0);
  });

  it("tells when the server refuses a change (change-refused, with the server's error code), which stays unsaved", async () => {
    const { url } = await startServer({ main: DocumentParty }, { documentLimits: { maxUpdateStructs: 1_000 } });
    const a = makeProvider(url, "room-refused");
    await synced(a);
    const refused = nextEvent<[ChangeRefusal, unknown]>(a, "change-refused");
    a.doc.transact(() => {
      for (let i = 0; i < 1_001; i++) a.doc.getMap("m").set(`k${i}`, i);
    });
    const [refusal] = await refused;
    expect(refusal).toMatchObject({ code: 1009, error: "ERR_UPDATE_TOO_LARGE" });
    expect(refusal.reason).toMatch(/over the limit of 1000/);
    expect(a.unsyncedChanges).toBeGreaterThan(0);
  });

  it("covers edits made offline with the first ack after reconnecting", async () => {
    const { url } = await startServer({ main: DocumentParty });
    const a = makeProvider(url, "room-offline");
    await synced(a);
    a.disconnect();
    a.doc.getText("t").insert(0, "one");
    a.doc.getText("t").insert(3, " two");
    expect(a.unsyncedChanges).toBe(2);
    const saved = nextEvent(a, "unsynced-changes", (count: number) => count === 0);
    void a.connect();
    await saved;
    const reader = makeProvider(url, "room-offline");
    await synced(reader);
    expect(text(reader.doc)).toBe("one two");
  });
});

describe("read-only connections", () => {
  it("reports permission-denied and never counts a refused edit as saved", async () => {
    class ReadOnly extends YServer {
      static override persist = { mode: "history" } as const;
      override isReadOnly() {
        return true;
      }
    }
    const { url } = await startServer({ main: ReadOnly });
    const reader = makeProvider(url, "room-readonly");
    await synced(reader);
    // Watch the raw frames: the server acks the refused update too (it counts every message).
    const acks: number[] = [];
    const ws = reader.ws as unknown as import("ws").WebSocket;
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const message = decodeMessage(new Uint8Array(data));
      if (message.type === "durable-ack") acks.push(message.count);
    });
    const denied = nextEvent(reader, "permission-denied");
    reader.doc.getText("t").insert(0, "not allowed");
    expect(await denied).toEqual([expect.any(String)]);
    await waitUntil(
      "the server to ack the refused update",
      () => acks.length > 0 && Math.max(...acks) >= 2,
      (recheck) => {
        ws.on("message", recheck);
        return () => ws.off("message", recheck);
      },
    );
    expect(reader.unsyncedChanges).toBe(1);
  });
});
