import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import type { SocketHandler } from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

const events: string[] = [];
let bothStopped = deferred();

class Echo implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onConnect(conn: Party.Connection) {
    events.push(`connect ${this.room.id} ${conn.id}`);
  }
  onMessage(message: string | ArrayBuffer | ArrayBufferView, conn: Party.Connection) {
    conn.send(`${this.room.id}:${String(message)}`);
    if (message === "bye") conn.close(4000, "asked");
  }
  onClose(conn: Party.Connection) {
    events.push(`close ${this.room.id} ${conn.id}`);
  }
  onStop() {
    events.push(`stop ${this.room.id}`);
    if (events.filter((event) => event.startsWith("stop")).length === 2) bothStopped.resolve();
  }
}

/** Each text frame `room|text` goes to that room over an in-process connection; what rooms send comes back. */
const relay: SocketHandler = (ws, _request, host) => {
  const links = new Map<string, ReturnType<typeof host.connect>>();
  ws.on("message", (data: Buffer) => {
    const [room, text] = data.toString().split("|") as [string, string];
    let link = links.get(room);
    if (!link) {
      link = host.connect("echo", room, "relay-1", {
        onMessage: (frame) => ws.send(String(frame)),
        onClose: (code, reason) => ws.send(`closed ${room} ${code} ${reason}`),
      });
      links.set(room, link);
    }
    link.send(text);
  });
  ws.on("close", () => {
    for (const link of links.values()) link.close();
  });
};

describe("createServer({ sockets }): a handler mounted at a path, with in-process connections to rooms", () => {
  it("multiplexes rooms over one socket; rooms see ordinary connections (onConnect, onMessage, onClose, idle unload)", async () => {
    events.length = 0;
    bothStopped = deferred();
    const server = await startServer({ echo: Echo }, { storage: "memory", sockets: { "/relay": relay }, limits: { idleUnloadMs: 50 } });
    const client = connect(server.wsUrl("/relay"));
    await client.opened;
    client.send("a|hello");
    client.send("b|world");
    expect(new Set([await client.next(), await client.next()])).toEqual(new Set(["a:hello", "b:world"]));
    expect(
      server.server
        .rooms()
        .map((room) => room.id)
        .sort(),
    ).toEqual(["a", "b"]);
    client.send("a|bye");
    expect(await client.next()).toBe("a:bye");
    expect(await client.next()).toBe("closed a 4000 asked");
    await client.close();
    await waitFor(bothStopped.promise, "both rooms unloaded");
    expect(server.server.rooms()).toEqual([]);
    expect(events.sort()).toEqual(["close a relay-1", "close b relay-1", "connect a relay-1", "connect b relay-1", "stop a", "stop b"]);
  });

  it("closes mounted sockets with 1001 and the local connections with the rooms when the server closes", async () => {
    const server = await startServer({ echo: Echo }, { storage: "memory", sockets: { "/relay": relay } });
    const client = connect(server.wsUrl("/relay"));
    await client.opened;
    client.send("a|x");
    await client.next();
    await server.stop();
    expect((await client.closed).code).toBe(1001);
  });

  it("other paths stay 404 for WebSockets", async () => {
    const server = await startServer({ echo: Echo }, { storage: "memory", sockets: { "/relay": relay } });
    const client = connect(server.wsUrl("/relay/more"));
    await expect(client.opened).rejects.toThrow(/404/);
  });
});

describe("in-process connections to a room that is unloading", () => {
  it("frames sent while the room unloads, and a close right behind them, reach the next instance in order", async () => {
    const seen: string[] = [];
    const closed = { first: deferred(), second: deferred() };
    const stopping = deferred();
    const release = deferred();
    class Slow implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onMessage(message: string | ArrayBuffer | ArrayBufferView) {
        seen.push(`message ${String(message)}`);
      }
      onClose(conn: Party.Connection) {
        seen.push(`close ${conn.id}`);
        closed[conn.id as "first" | "second"].resolve();
      }
      async onStop() {
        stopping.resolve();
        await release.promise;
      }
    }
    const hostReady = deferred<Parameters<SocketHandler>[2]>();
    const server = await startServer({ slow: Slow }, { storage: "memory", sockets: { "/h": (_ws, _request, host) => hostReady.resolve(host) } });
    const client = connect(server.wsUrl("/h"));
    await client.opened;
    const host = await waitFor(hostReady.promise, "the handler");
    const peer = { onMessage: () => {}, onClose: () => {} };
    host.connect("slow", "r", "first", peer).close();
    await waitFor(closed.first.promise, "the first close");
    const unloaded = server.server.unloadIfIdle("slow", "r");
    await waitFor(stopping.promise, "onStop of the first instance");
    const second = host.connect("slow", "r", "second", peer);
    second.send("a");
    second.send("b");
    second.close();
    release.resolve();
    expect(await unloaded).toBe(true);
    await waitFor(closed.second.promise, "the second close");
    expect(seen).toEqual(["close first", "message a", "message b", "close second"]);
  });
});

describe("the room's half of an in-process connection", () => {
  it("takes ws's send signature: fragments reach the peer as one frame, callbacks run", async () => {
    const { RoomSideSocket } = await import("../../src/runtime/local-socket.js");
    const frames: Array<string | Uint8Array> = [];
    const socket = new RoomSideSocket({ onMessage: (frame) => frames.push(frame), onClose: () => {} });
    const called = deferred<unknown>();
    socket.send(new Uint8Array([1, 2]), { fin: false }, () => {});
    socket.send(new Uint8Array([3]), { fin: true }, (error) => called.resolve(error));
    socket.send("text");
    expect(await waitFor(called.promise, "the callback")).toBeUndefined();
    expect(frames).toEqual([new Uint8Array([1, 2, 3]), "text"]);
  });

  it("in-process connections count toward maxConnectionsPerRoom: one past it is closed with 1013", async () => {
    events.length = 0;
    // Each relay socket is its own connection id ("relay-1" for all would replace, not add): one socket per id.
    const perSocket: SocketHandler = (ws, request, host) => {
      const id = new URL(request.url).searchParams.get("id")!;
      const link = host.connect("echo", "crowded", id, {
        onMessage: (frame) => ws.send(String(frame)),
        onClose: (code) => ws.send(`closed ${code}`),
      });
      ws.on("message", (data: Buffer) => link.send(data.toString()));
    };
    const server = await startServer({ echo: Echo }, { storage: "memory", sockets: { "/one": perSocket }, limits: { maxConnectionsPerRoom: 2 } });
    const answers: string[] = [];
    for (const id of ["a", "b", "c"]) {
      const client = connect(server.wsUrl(`/one?id=${id}`));
      await client.opened;
      client.send("ping");
      answers.push(String(await client.next()));
    }
    expect(answers).toEqual(["crowded:ping", "crowded:ping", "closed 1013"]);
  });
});
