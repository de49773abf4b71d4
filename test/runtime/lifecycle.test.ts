import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { CloseCode } from "../../src/runtime/index.js";
import { ALARMS_KV_NAME } from "../../src/runtime/alarms.js";
import { cleanupAll, connect, deferred, pollUntil, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

/** A list of lifecycle events that can also be awaited. */
class EventLog extends Array<string> {
  readonly #waiters: Array<{ event: string; resolve: () => void }> = [];
  override push(...items: string[]): number {
    const length = super.push(...items);
    for (const waiter of this.#waiters.filter((w) => items.includes(w.event))) waiter.resolve();
    return length;
  }
  /** Resolves when `event` has been recorded (at once if it already was). */
  seen(event: string): Promise<void> {
    if (this.includes(event)) return Promise.resolve();
    return waitFor(new Promise<void>((resolve) => this.#waiters.push({ event, resolve })), `event "${event}"`);
  }
}

/** Records its lifecycle in a shared list, so tests can assert the order across rooms. */
function recordingParty(events: string[]) {
  return class Recorder implements Party.Server {
    constructor(readonly room: Party.Room) {
      events.push(`construct ${room.id}`);
    }
    onStart() {
      events.push(`start ${this.room.id}`);
    }
    onConnect(conn: Party.Connection) {
      conn.send("ready");
    }
    async onClose(conn: Party.Connection) {
      await this.room.storage.put(`closed:${conn.id}`, true);
      events.push(`close ${conn.id}`);
    }
    async onStop() {
      await this.room.storage.put("stopped", true);
      events.push(`stop ${this.room.id}`);
    }
    async onRequest() {
      return Response.json({ stopped: (await this.room.storage.get("stopped")) ?? false });
    }
  };
}

describe("room lifecycle", () => {
  it("closes gracefully: sockets get 1001, onClose then onStop run, and their writes are stored", async () => {
    const events: string[] = [];
    const first = await startServer({ main: recordingParty(events) });
    const client = connect(first.wsUrl("/party/g?_pk=c1"));
    await client.next();
    await first.stop();
    expect((await waitFor(client.closed, "close")).code).toBe(CloseCode.GoingAway);
    expect(events).toEqual(["construct g", "start g", "close c1", "stop g"]);
    const second = await first.restart();
    expect(await (await fetch(`${second.url}/party/g`)).json()).toEqual({ stopped: true });
  });

  it("answers requests in flight at shutdown and closes their keep-alive sockets after, so they do not hold the shutdown", async () => {
    const answer = deferred();
    class Slow implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest(req: Party.Request) {
        if (new URL(req.url).searchParams.has("stream")) {
          // Its head goes before the shutdown begins, its end after.
          const body = new ReadableStream<Uint8Array>({
            async start(controller) {
              controller.enqueue(new TextEncoder().encode("a"));
              await answer.promise;
              controller.enqueue(new TextEncoder().encode("b"));
              controller.close();
            },
          });
          return new Response(body);
        }
        await answer.promise;
        return new Response("ok");
      }
    }
    const server = await startServer({ main: Slow }, { storage: "memory", limits: { shutdownTimeoutMs: 30_000 } });
    const agent = new http.Agent({ keepAlive: true });
    const get = (path: string) =>
      new Promise<{ connection: string | undefined; body: string; socketClosed: Promise<void> }>((resolve, reject) => {
        const request = http.get(`${server.url}${path}`, { agent }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (body += chunk));
          res.on("end", () => resolve({ connection: res.headers.connection, body, socketClosed }));
        });
        const socketClosed = new Promise<void>((closed) => request.once("socket", (socket) => socket.once("close", () => closed())));
        request.once("error", reject);
      });
    const streamed = get("/parties/main/a?stream");
    const plain = get("/parties/main/b");
    await pollUntil("both requests to reach the room", async () => (server.server.rooms().length === 2 ? true : undefined));
    const closed = server.stop();
    answer.resolve();
    const [stream, whole] = await Promise.all([streamed, plain]);
    expect([stream.body, whole.body]).toEqual(["ab", "ok"]);
    // Before: both sockets stayed open, idle, until Node's keep-alive timeout (5 s), and the shutdown waited for them.
    await waitFor(Promise.all([stream.socketClosed, whole.socketClosed]), "the server to close both sockets", 3_000);
    await waitFor(closed, "the server to close", 3_000);
    agent.destroy();
  });

  it("onClose gets the close's code, reason and wasClean (as partyserver passes them): the client's, then 1001 at shutdown", async () => {
    const closes: unknown[] = [];
    const seen = deferred<void>();
    const party = class implements Party.Server {
      onClose(conn: Party.Connection, code?: number, reason?: string, wasClean?: boolean) {
        closes.push([conn.id, code, reason, wasClean]);
        if (closes.length === 2) seen.resolve();
      }
    };
    const server = await startServer({ main: party });
    const leaving = connect(server.wsUrl("/party/codes?_pk=leaving"));
    const staying = connect(server.wsUrl("/party/codes?_pk=staying"));
    await Promise.all([leaving.opened, staying.opened]);
    leaving.ws.close(4000, "bye");
    await waitFor(leaving.closed, "client close");
    await server.stop();
    await waitFor(seen.promise, "two onClose calls");
    expect(closes).toEqual([
      ["leaving", 4000, "bye", true],
      ["staying", CloseCode.GoingAway, expect.any(String), true],
    ]);
  });

  it("unloads an idle room after onStop and starts it again on the next arrival", async () => {
    const events = new EventLog();
    const { server, wsUrl } = await startServer({ main: recordingParty(events) }, { storage: "memory", limits: { idleUnloadMs: 50 } });
    const client = connect(wsUrl("/party/idle?_pk=c1"));
    await client.next();
    expect(server.rooms()).toEqual([{ party: "main", id: "idle", connections: 1 }]);
    await client.close();
    await events.seen("stop idle");
    expect(server.rooms()).toEqual([]);
    const again = connect(wsUrl("/party/idle?_pk=c2"));
    expect(await again.next()).toBe("ready");
    expect(events.filter((e) => e.startsWith("start"))).toEqual(["start idle", "start idle"]);
  });

  it("leaves no room behind after many clients come and go across many rooms", async () => {
    const events = new EventLog();
    const { server, wsUrl } = await startServer({ main: recordingParty(events) }, { storage: "memory", limits: { idleUnloadMs: 20 } });
    const rooms = Array.from({ length: 20 }, (_, i) => `churn-${i}`);
    for (let round = 0; round < 3; round++) {
      const clients = rooms.flatMap((room) => [connect(wsUrl(`/party/${room}`)), connect(wsUrl(`/party/${room}`))]);
      await Promise.all(clients.map((client) => client.next()));
      await Promise.all(clients.map((client) => client.close()));
      await Promise.all(rooms.map((room) => events.seen(`stop ${room}`)));
      events.length = 0;
    }
    expect(server.rooms()).toEqual([]);
  });

  it("reload closes connections with 1012, stops every room and swaps the party code", async () => {
    const events: string[] = [];
    const { server, wsUrl } = await startServer({ main: recordingParty(events) }, { storage: "memory" });
    const client = connect(wsUrl("/party/r?_pk=c1"));
    await client.next();
    class V2 implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect(conn: Party.Connection) {
        conn.send("v2");
      }
    }
    // Like PartySocket: reconnect the moment the close arrives, while the old room is still stopping.
    const reconnected = client.closed.then(() => connect(wsUrl("/party/r?_pk=c1")));
    await server.reload({ main: V2 });
    expect((await client.closed).code).toBe(CloseCode.ServiceRestart);
    expect(events.slice(-2)).toEqual(["close c1", "stop r"]);
    expect(await (await reconnected).next()).toBe("v2");
    expect(server.rooms()).toEqual([{ party: "main", id: "r", connections: 1 }]);
  });

  it("reload closes 1012 a connection still waiting for its room to start too (it joined the stopped instance after)", async () => {
    const started = deferred<void>();
    const release = deferred<void>();
    class Slow implements Party.Server {
      async onStart() {
        started.resolve();
        await release.promise;
      }
      onConnect(conn: Party.Connection) {
        conn.send("v1");
      }
    }
    class V2 implements Party.Server {
      onConnect(conn: Party.Connection) {
        conn.send("v2");
      }
    }
    const { server, wsUrl } = await startServer({ main: Slow }, { storage: "memory" });
    const client = connect(wsUrl("/party/slow"));
    await started.promise;
    const reloaded = server.reload({ main: V2 });
    expect((await client.closed).code).toBe(CloseCode.ServiceRestart);
    release.resolve();
    await reloaded;
    const again = connect(wsUrl("/party/slow"));
    expect(await again.next()).toBe("v2");
  });

  it("replaces a connection when another joins the room with the same id", async () => {
    const closes = new EventLog();
    class Room implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect(conn: Party.Connection) {
        conn.send(`n=${[...this.room.getConnections()].length}`);
      }
      onClose(conn: Party.Connection) {
        closes.push(conn.id);
      }
    }
    const { wsUrl } = await startServer({ main: Room }, { storage: "memory" });
    const first = connect(wsUrl("/party/dup?_pk=same"));
    expect(await first.next()).toBe("n=1");
    const second = connect(wsUrl("/party/dup?_pk=same"));
    expect(await second.next()).toBe("n=1");
    expect((await first.closed).code).toBe(CloseCode.Replaced);
    await closes.seen("same");
    expect(closes).toEqual(["same"]);
    expect(second.ws.readyState).toBe(second.ws.OPEN);
  });

  it("holds connections and messages while blockConcurrencyWhile runs", async () => {
    const release = deferred();
    const order: string[] = [];
    class Blocking implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect(conn: Party.Connection) {
        order.push(`connect ${conn.id}`);
        if (conn.id === "b") conn.send("welcome b");
      }
      onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
        order.push(`message ${String(message)}`);
        if (message === "block") {
          void this.room.blockConcurrencyWhile(async () => {
            await release.promise;
            order.push("unblocked");
          });
        }
        sender.send(`ack ${String(message)}`);
      }
    }
    const { wsUrl } = await startServer({ main: Blocking }, { storage: "memory" });
    const a = connect(wsUrl("/party/b?_pk=a"));
    await a.opened;
    a.send("block");
    expect(await a.next()).toBe("ack block");
    a.send("after");
    const b = connect(wsUrl("/party/b?_pk=b"));
    await b.opened;
    expect(order).toEqual(["connect a", "message block"]);
    release.resolve();
    expect(await a.next()).toBe("ack after");
    expect(await b.next()).toBe("welcome b");
    // First come, first served once it opens: a's held message, then b's connect.
    expect(order).toEqual(["connect a", "message block", "unblocked", "message after", "connect b"]);
  });

  it("delivers messages sent during a slow async onConnect after it, in order (y-partykit attaches listeners late)", async () => {
    const release = deferred();
    const legacy: Party.PartyKitServer = {
      async onConnect(conn) {
        await release.promise;
        conn.addEventListener("message", (event) => conn.send(`late listener: ${String((event as MessageEvent).data)}`));
      },
    };
    const { wsUrl } = await startServer({ main: legacy }, { storage: "memory" });
    const client = connect(wsUrl("/party/slow"));
    await client.opened;
    for (const n of [1, 2, 3]) client.send(`m${n}`);
    release.resolve();
    expect([await client.next(), await client.next(), await client.next()]).toEqual(["late listener: m1", "late listener: m2", "late listener: m3"]);
  });

  it("lists a party's live and stored rooms at GET /parties/{party}", async () => {
    class Doc implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect() {}
    }
    const { server, url, wsUrl } = await startServer({ docs: Doc });
    await server.storage.docs.append("docs/stored", new Uint8Array([0, 0]));
    await server.storage.docs.append("other/ignored", new Uint8Array([0, 0]));
    await server.storage.kv("docs/stored").put("k", 1);
    await server.storage.kv("docs/keys-only").put({ a: 1, b: 2 });
    await connect(wsUrl("/parties/docs/live")).opened;
    const listing = await (await fetch(`${url}/parties/docs`)).json();
    expect(listing.party).toBe("docs");
    expect(listing.rooms).toEqual([
      { id: "keys-only", connections: 0, storedBytes: 0, storedUpdates: 0, storedKeys: 2 },
      { id: "live", connections: 1, storedBytes: 0, storedUpdates: 0, storedKeys: 0 },
      { id: "stored", connections: 0, storedBytes: 2, storedUpdates: 1, storedKeys: 1 },
    ]);
    // The server's own stores (alarms; a cluster's alarm records, named after rooms) are no rooms of any party.
    await server.storage.kv(ALARMS_KV_NAME).put("x", 1);
    await server.storage.kv("__yparty:alarm/docs/stored").put("x", 1);
    expect((await server.roomListing()).map((room) => `${room.party}/${room.id}`)).toEqual(["docs/keys-only", "docs/live", "docs/stored", "other/ignored"]);
  });
});

describe("context.parties", () => {
  it("reaches a room of another party in-process with fetch() and socket()", async () => {
    class Store implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest(req: Party.Request) {
        if (req.method === "POST") await this.room.storage.put("value", await req.text());
        return new Response(`${this.room.name}/${this.room.id}=${(await this.room.storage.get<string>("value")) ?? ""} at ${new URL(req.url).pathname}`);
      }
      onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
        sender.send(`store heard ${String(message)}`);
      }
    }
    class Front implements Party.Server {
      static onBeforeConnect() {
        return new Response("clients may not connect here directly", { status: 403 });
      }
      constructor(readonly room: Party.Room) {}
      async onRequest(req: Party.Request) {
        const store = this.room.context.parties.store!.get("shared");
        await store.fetch("/write", { method: "POST", body: await req.text() });
        const read = await (await store.fetch()).text();
        const socket = await store.socket();
        const heard = new Promise<string>((resolve) => socket.addEventListener("message", (e) => resolve(String(e.data))));
        socket.send("hi");
        const reply = await heard;
        socket.close();
        return new Response(`${read} | ${reply}`);
      }
    }
    const { url } = await startServer({ front: Front, store: Store }, { storage: "memory" });
    const res = await fetch(`${url}/parties/front/f1`, { method: "POST", body: "42" });
    expect(await res.text()).toBe("store/shared=42 at /parties/store/shared | store heard hi");
  });
});
