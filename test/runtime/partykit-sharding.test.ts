/**
 * PartyKit's sharding pattern, run unchanged by real clients (partysocket, ws, fetch): a WebSocket handed to
 * another room by returning `lobby.parties.main.get(id).fetch(req)` from `onBeforeConnect` (or `onFetch`).
 */
import { request as httpRequest } from "node:http";
import PartySocket from "partysocket";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import Shard, { Router, SHARDS, shardOf } from "./fixtures/partykit-sharding.js";
import { cleanupAll, connect, refusedUpgrade, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

/** Two users that land on the same shard of `namespace`, and one that lands elsewhere. */
function usersOf(namespace: string): { ada: string; bob: string; eve: string } {
  const names = Array.from({ length: 50 }, (_, i) => `user${i}`);
  const ada = names[0]!;
  const bob = names.find((name) => name !== ada && shardOf(namespace, name) === shardOf(namespace, ada))!;
  const eve = names.find((name) => shardOf(namespace, name) !== shardOf(namespace, ada))!;
  return { ada, bob, eve };
}

function partySocket(port: number, party: string, room: string, user: string): { socket: PartySocket; next(): Promise<string> } {
  const socket = new PartySocket({ host: `127.0.0.1:${port}`, party, room, query: { user }, WebSocket, maxRetries: 0 });
  const received: string[] = [];
  const waiters: Array<() => void> = [];
  socket.addEventListener("message", (event) => {
    received.push(String(event.data));
    for (const wake of waiters.splice(0)) wake();
  });
  let cursor = 0;
  const next = () => {
    const index = cursor++;
    const arrived = new Promise<string>((resolve) => {
      const check = () => (index < received.length ? resolve(received[index]!) : waiters.push(check));
      check();
    });
    return waitFor(arrived, `message #${index} of ${user} on ${party}/${room}`);
  };
  return { socket, next };
}

describe("sharding by WebSocket hand-off (onBeforeConnect returns lobby.parties.main.get(id).fetch(req))", () => {
  it("connects each router socket to its shard's room: onConnect, onMessage and broadcasts run there", async () => {
    const { server, url } = await startServer({ main: Shard, router: Router }, { storage: "memory" });
    const { ada, bob, eve } = usersOf("game");
    const shard = shardOf("game", ada);
    const clients = [ada, bob, eve].map((user) => partySocket(server.port, "router", "game", user));
    try {
      const [first, second, third] = clients as [ReturnType<typeof partySocket>, ReturnType<typeof partySocket>, ReturnType<typeof partySocket>];
      // The shard sees the client's own request (its headers) at the stub's URL, as on PartyKit.
      expect(await first.next()).toBe(`joined ${shard} as ? via /parties/main/${shard}`);
      expect(await second.next()).toBe(`joined ${shard} as ? via /parties/main/${shard}`);
      expect(await third.next()).toBe(`joined ${shardOf("game", eve)} as ? via /parties/main/${shardOf("game", eve)}`);

      first.socket.send("hello shard");
      expect(await second.next()).toBe(`${shard}: hello shard`);

      const rooms = server.rooms().sort((a, b) => a.id.localeCompare(b.id));
      expect(rooms.filter((room) => room.party === "router")).toEqual([]);
      expect(rooms.find((room) => room.id === shard)).toEqual({ party: "main", id: shard, connections: 2 });

      // HTTP still reaches the shards' onRequest (the router fans out).
      const fanOut = await (await fetch(`${url}/parties/router/game`)).text();
      expect(fanOut.split("\n")).toHaveLength(SHARDS);
      expect(fanOut).toContain(`${shard} has 2 players (GET)`);
    } finally {
      for (const client of clients) client.socket.close();
    }
  });

  it("keeps the client's headers across the hand-off and still refuses with a plain Response", async () => {
    const { wsUrl } = await startServer({ main: Shard, router: Router }, { storage: "memory" });
    expect(await refusedUpgrade(wsUrl("/parties/router/game"))).toEqual({ status: 401, body: "Say who you are: ?user=…" });
    const client = connect(wsUrl("/parties/router/game?user=ada"), { headers: { "x-player": "Ada" } });
    expect(await client.next()).toBe(`joined ${shardOf("game", "ada")} as Ada via /parties/main/${shardOf("game", "ada")}`);
  });

  it("hands a socket to a path outside the parties from the main party's onFetch", async () => {
    const { url, wsUrl, server } = await startServer({ main: Shard }, { storage: "memory" });
    const room = shardOf("arena", "ada");
    const client = connect(wsUrl("/play/arena?user=ada"));
    expect(await client.next()).toBe(`joined ${room} as ? via /parties/main/${room}`);
    expect(server.rooms()).toEqual([{ party: "main", id: room, connections: 1 }]);
    expect(await (await fetch(`${url}/play/arena?user=ada`)).text()).toBe(`${room} has 1 players (GET)`);
  });

  it("answers a plain HTTP request that was handed off as a socket with a logged 500", async () => {
    const { server, logs } = await startServer({ main: Shard }, { storage: "memory" });
    // `Upgrade` without `Connection: Upgrade` is an ordinary request; the stub still sees an upgrade header.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port: server.port, path: "/play/arena?user=ada", headers: { upgrade: "websocket" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(500);
    expect(logs.find((entry) => entry.event === "http.handoff_without_socket")).toMatchObject({ code: "ERR_HOOK_FAILED", level: "error" });
  });
});
