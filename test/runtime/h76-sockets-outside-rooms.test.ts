/**
 * Sockets that party code serves outside any room — `onSocket`'s, a `WebSocketPair` end answered from `onFetch` (as
 * party.io serves Socket.IO) — and the sockets its stubs open for them. Before: a reload (`yparty dev`) left the first
 * open on the old code (clients never learned the server reloaded, and party.io's hub link was gone), and party.io's
 * connector (a stub socket per Socket.IO connection) outlived its client for good.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import type { SocketHandler } from "../../src/runtime/index.js";
import { WebSocketPair, workerResponseOf } from "../../src/runtime/websocket-pair.js";
import { cleanupAll, connect, deferred, pollUntil, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

/** What a bundle's `Response` is (src/runtime/websocket-pair.ts): takes `{ status: 101, webSocket }`. */
const WorkerResponse = workerResponseOf(Response);
const hubCloses: Array<{ code: number; reason: string }> = [];

/** party.io's shape: each socket is a WebSocketPair end, relayed through a stub socket to the hub room. */
class SocketIoLike implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onMessage(message: string, sender: Party.Connection) {
    this.room.broadcast(message, [sender.id]);
  }
  onClose(_connection: Party.Connection, code: number, reason: string) {
    hubCloses.push({ code, reason });
  }
  static async onFetch(_req: Party.Request, lobby: Party.FetchLobby) {
    const { 0: client, 1: server } = new WebSocketPair();
    server.accept();
    const connector = await lobby.parties.main!.get("hub").socket();
    connector.addEventListener("message", (event) => server.send(event.data as string));
    server.addEventListener("message", (event) => connector.send((event as MessageEvent).data as string));
    return new WorkerResponse(null, { status: 101, webSocket: client } as ResponseInit);
  }
}

/** The same over `onSocket`. */
class OnSocketLike extends SocketIoLike {
  static async onSocket(socket: Party.FetchSocket, lobby: Party.FetchLobby) {
    const connector = await lobby.parties.main!.get("hub").socket();
    connector.addEventListener("message", (event) => socket.send(event.data as string));
    socket.addEventListener("message", (event) => connector.send(event.data as string));
  }
}

const echo: SocketHandler = (ws) => ws.on("message", (data: Buffer) => ws.send(`echo ${data.toString()}`));

const hubConnections = (server: Awaited<ReturnType<typeof startServer>>) => server.server.rooms().find((room) => room.id === "hub")?.connections ?? 0;
const hubHas = (server: Awaited<ReturnType<typeof startServer>>, n: number) =>
  pollUntil(`${n} connections in the hub room`, async () => (hubConnections(server) === n ? true : undefined));

describe.each([
  ["a WebSocketPair end answered from onFetch", SocketIoLike],
  ["onSocket's socket", OnSocketLike],
])("%s", (_name, Party) => {
  it("is closed with 1012 by a reload, as room connections are; a mounted socket is not", async () => {
    const server = await startServer({ main: Party }, { storage: "memory", sockets: { "/mounted": echo } });
    const a = connect(server.wsUrl("/socket.io/"));
    const b = connect(server.wsUrl("/socket.io/"));
    const mounted = connect(server.wsUrl("/mounted"));
    await Promise.all([a.opened, b.opened, mounted.opened]);
    await hubHas(server, 2);
    a.send("hi");
    expect(await b.next()).toBe("hi");

    await server.server.reload({ main: Party });
    expect(await waitFor(a.closed, "a's close")).toEqual({ code: 1012, reason: "Server code reloaded" });
    expect(await waitFor(b.closed, "b's close")).toEqual({ code: 1012, reason: "Server code reloaded" });
    mounted.send("still here");
    expect(await mounted.next()).toBe("echo still here");

    // The new code serves the clients that come back.
    const c = connect(server.wsUrl("/socket.io/"));
    const d = connect(server.wsUrl("/socket.io/"));
    await Promise.all([c.opened, d.opened]);
    await hubHas(server, 2);
    c.send("again");
    expect(await d.next()).toBe("again");
  });

  it("ends the stub sockets opened for it when it closes (party.io's connector no longer outlives its client)", async () => {
    hubCloses.length = 0;
    const server = await startServer({ main: Party }, { storage: "memory" });
    const a = connect(server.wsUrl("/socket.io/"));
    const b = connect(server.wsUrl("/socket.io/"));
    await Promise.all([a.opened, b.opened]);
    await hubHas(server, 2);
    await a.close(1000, "bye");
    await hubHas(server, 1);
    expect(hubCloses).toEqual([{ code: 1001, reason: "The socket it was opened for closed" }]);
    b.send("alone");
    await b.close();
    await hubHas(server, 0);
  });
});

describe("a stub socket opened after the socket it was opened for closed", () => {
  it("is closed once open (work the worker left running does not leave a connection behind)", async () => {
    const opened = deferred<WebSocket>();
    const go = deferred();
    class Late extends SocketIoLike {
      static override async onFetch(_req: Party.Request, lobby: Party.FetchLobby) {
        const { 0: client, 1: server } = new WebSocketPair();
        server.accept();
        void go.promise.then(async () => opened.resolve(await lobby.parties.main!.get("hub").socket()));
        return new WorkerResponse(null, { status: 101, webSocket: client } as ResponseInit);
      }
    }
    const server = await startServer({ main: Late }, { storage: "memory" });
    const client = connect(server.wsUrl("/late"));
    await client.opened;
    await client.close();
    go.resolve();
    const late = await waitFor(opened.promise, "the late stub socket");
    await waitFor(new Promise((resolve) => late.addEventListener("close", resolve)), "the late socket's close");
    await hubHas(server, 0);
  });
});

describe("a room's stub sockets", () => {
  it("end with the room instance: an unloaded room leaves no connection behind in the room it reported to", async () => {
    const lobbyCloses: Array<{ id: string; code: number }> = [];
    const stopped = deferred();
    class Reporting implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onStart() {
        if (this.room.name !== "rooms") return;
        // A room that reports to a lobby over a socket, as presence aggregators do.
        const lobby = await this.room.context.parties.lobby!.get("all").socket(`?_pk=${this.room.id}`);
        lobby.send(`open ${this.room.id}`);
      }
      onStop() {
        stopped.resolve();
      }
    }
    class Lobby implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onClose(connection: Party.Connection, code: number) {
        lobbyCloses.push({ id: connection.id, code });
      }
    }
    const server = await startServer({ rooms: Reporting, lobby: Lobby }, { storage: "memory", limits: { idleUnloadMs: 50 } });
    const client = connect(server.wsUrl("/parties/rooms/r1"));
    await client.opened;
    const lobbyHas = (n: number) =>
      pollUntil(`${n} connections in the lobby`, async () =>
        (server.server.rooms().find((room) => room.party === "lobby")?.connections ?? 0) === n ? true : undefined,
      );
    await lobbyHas(1);
    await client.close();
    await waitFor(stopped.promise, "room r1 unloaded");
    await lobbyHas(0);
    expect(lobbyCloses).toEqual([{ id: "r1", code: 1000 }]);
  });
});

describe("a WebSocketPair end whose onFetch was running when the reload came", () => {
  it("is the old code's: closed with 1012 once joined", async () => {
    const called = deferred();
    const go = deferred();
    class Slow extends SocketIoLike {
      static override async onFetch() {
        called.resolve();
        await go.promise;
        const { 0: client, 1: server } = new WebSocketPair();
        server.accept();
        server.send("old code");
        return new WorkerResponse(null, { status: 101, webSocket: client } as ResponseInit);
      }
    }
    const server = await startServer({ main: Slow }, { storage: "memory" });
    const client = connect(server.wsUrl("/socket.io/"));
    await waitFor(called.promise, "onFetch");
    await server.server.reload({ main: SocketIoLike });
    go.resolve();
    expect(await waitFor(client.closed, "the stale socket's close")).toEqual({ code: 1012, reason: "Server code reloaded" });
  });
});

describe("stub sockets at a reload", () => {
  it("the new code's are kept, even those opened while the old rooms were still stopping", async () => {
    const holdStop = deferred();
    const stopping = deferred();
    const reports = new Map<string, WebSocket>();
    class Reporting implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onStart() {
        if (this.room.name !== "rooms") return;
        reports.set(this.room.id, await this.room.context.parties.lobby!.get("all").socket(`?_pk=${this.room.id}`));
      }
      async onStop() {
        if (this.room.id !== "old") return;
        stopping.resolve();
        await holdStop.promise;
      }
    }
    class Lobby implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onConnect() {}
    }
    const parties = { rooms: Reporting, lobby: Lobby };
    const server = await startServer(parties, { storage: "memory" });
    const lobbyIds = () => server.server.rooms().find((room) => room.party === "lobby")?.connections ?? 0;
    const old = connect(server.wsUrl("/parties/rooms/old"));
    await old.opened;
    await pollUntil("the old room's report", async () => (lobbyIds() === 1 ? true : undefined));
    const reloaded = server.server.reload(parties);
    await waitFor(stopping.promise, "the old room stopping");
    // A room of the new code starts while the old one still stops, and reports to the lobby.
    const fresh = connect(server.wsUrl("/parties/rooms/new"));
    await fresh.opened;
    await pollUntil("the new room's report", async () => (lobbyIds() === 1 ? true : undefined));
    holdStop.resolve();
    await reloaded;
    // The reload closed the old code's (a close starts at once: CLOSING), not the new room's.
    const OPEN = 1;
    expect(reports.get("old")!.readyState).not.toBe(OPEN);
    expect(reports.get("new")!.readyState).toBe(OPEN);
    expect(lobbyIds()).toBe(1);
  });
});
