/**
 * Stub sockets a worker hook opens while it answers a plain HTTP request (party.io's polling transport makes a
 * connector to its hub room for every poll) belong to that request, as on Workers: they end once its answer is out and
 * the `ctx.waitUntil` work it left has settled. Before, they stayed connections of the hub room until a reload or the
 * shutdown: one more for every request.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, connect, deferred, pollUntil, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

const closes: Array<{ code: number; reason: string }> = [];

class Hub implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onClose(_connection: Party.Connection, code: number, reason: string) {
    closes.push({ code, reason });
  }
}

/** Connections the hub room has now. */
const hubConnections = (server: Awaited<ReturnType<typeof startServer>>) => server.server.rooms().find((room) => room.id === "hub")?.connections ?? 0;
const hubHas = (server: Awaited<ReturnType<typeof startServer>>, n: number) =>
  pollUntil(`${n} connections in the hub room`, async () => (hubConnections(server) === n ? true : undefined));
/** Waits until the hub room's onClose ran `n` times (a connection closed before it joined would pass hubHas(0) early). */
const hubClosed = (n: number) => pollUntil(`${n} closes in the hub room`, async () => (closes.length >= n ? true : undefined));

describe("a stub socket opened by onFetch while it answers a plain request", () => {
  it("ends with the request: the hub room keeps no connection per poll", async () => {
    closes.length = 0;
    class Polling extends Hub {
      static async onFetch(_req: Party.Request, lobby: Party.FetchLobby) {
        const connector = await lobby.parties.main!.get("hub").socket();
        connector.send("a poll's packet");
        return new Response("ok");
      }
    }
    const server = await startServer({ main: Polling }, { storage: "memory" });
    for (let i = 0; i < 3; i++) expect(await (await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`)).text()).toBe("ok");
    await hubClosed(3);
    await hubHas(server, 0);
    expect(closes).toEqual(Array(3).fill({ code: 1001, reason: "The request it was opened for ended" }));
  });

  it("lives on while the work the request left with ctx.waitUntil runs", async () => {
    closes.length = 0;
    const work = deferred();
    const sent = deferred<{ readyState: number }>();
    class Waiting extends Hub {
      static async onFetch(req: Party.Request, lobby: Party.FetchLobby, ctx: Party.ExecutionContext) {
        if (!req.url.endsWith("/poll")) return new Response("other");
        const connector = await lobby.parties.main!.get("hub").socket();
        ctx.waitUntil(work.promise.then(() => connector.send("after the answer")));
        sent.resolve(connector);
        return new Response("ok");
      }
    }
    const server = await startServer({ main: Waiting }, { storage: "memory" });
    expect(await (await fetch(`${server.url}/poll`)).text()).toBe("ok");
    const connector = await waitFor(sent.promise, "the connector");
    await hubHas(server, 1);
    // A second request comes and goes meanwhile: the first one's socket is still there.
    expect((await fetch(`${server.url}/other`)).status).toBe(200);
    await hubHas(server, 1);
    expect(connector.readyState).toBe(1); // OPEN
    work.resolve();
    await hubClosed(1);
    await hubHas(server, 0);
    expect(closes).toEqual([{ code: 1001, reason: "The request it was opened for ended" }]);
  });
});

describe("a stub socket opened by onBeforeRequest", () => {
  it("ends with the request it checked", async () => {
    closes.length = 0;
    class Guarded extends Hub {
      static async onBeforeRequest(req: Party.Request, lobby: Party.Lobby) {
        if (lobby.id === "hub") return req;
        (await lobby.parties.main!.get("hub").socket()).send(`request for ${lobby.id}`);
        return req;
      }
      onRequest() {
        return new Response(this.room.id);
      }
    }
    const server = await startServer({ main: Guarded }, { storage: "memory" });
    expect(await (await fetch(`${server.url}/parties/main/r1`)).text()).toBe("r1");
    await hubClosed(1);
    await hubHas(server, 0);
    expect(closes).toEqual([{ code: 1001, reason: "The request it was opened for ended" }]);
  });
});

describe("a stub socket opened by onBeforeConnect", () => {
  it("ends once the upgrade it checked is answered; the connection it let in stays", async () => {
    closes.length = 0;
    class Guarded extends Hub {
      static async onBeforeConnect(req: Party.Request, lobby: Party.Lobby) {
        if (lobby.id !== "hub") (await lobby.parties.main!.get("hub").socket()).send(`connect to ${lobby.id}`);
        return req;
      }
    }
    const server = await startServer({ main: Guarded }, { storage: "memory" });
    const client = connect(server.wsUrl("/parties/main/r1"));
    await waitFor(client.opened, "the connection");
    await hubClosed(1);
    await hubHas(server, 0);
    expect(closes).toEqual([{ code: 1001, reason: "The request it was opened for ended" }]);
    expect(server.server.rooms().find((room) => room.id === "r1")?.connections).toBe(1);
  });
});

describe("a stub socket opened by a cron run", () => {
  it("ends with the run", async () => {
    closes.length = 0;
    let ran!: () => void;
    const run = new Promise<void>((resolve) => (ran = resolve));
    class Scheduled extends Hub {
      static async onCron(_cron: Party.Cron, lobby: Party.FetchLobby) {
        (await lobby.parties.main!.get("hub").socket()).send("tick");
        ran();
      }
    }
    await startServer({ main: Scheduled }, { storage: "memory", crons: { tick: "* * * * * *" } });
    await waitFor(run, "a cron run", 3_000);
    await hubClosed(1);
    expect(closes[0]).toEqual({ code: 1001, reason: "The cron run it was opened for ended" });
  });
});
