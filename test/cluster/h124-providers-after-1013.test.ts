/**
 * Real providers (yparty's own, y-websocket, y-partykit's on partysocket) in rooms of a node cut off from Redis (h124,
 * an attack on h118's 1013): each room's lease runs out, its socket is closed 1013 and every reconnect is refused 1013
 * while Redis is silent; what the user types meanwhile is kept and, once the partition heals, stored.
 */
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { expect, test, vi } from "vitest";
import { YPartyKitProvider } from "../../provider/index.js";
import { YPartyKitAnchorProvider } from "../provider/support.js";
import { startCluster, until, useCluster, type ClusterNode } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

test("providers closed 1013 while Redis does not answer reconnect once it does, and their offline edits are stored", async () => {
  const cluster = await startCluster(1);
  const [node] = cluster.nodes as [ClusterNode];
  const ws = { WebSocketPolyfill: WebSocket as never };
  const clients = [
    { room: "h124-own", make: (doc: Y.Doc) => new YPartyKitProvider(node.host, "h124-own", doc, ws) },
    { room: "h124-yws", make: (doc: Y.Doc) => new WebsocketProvider(`ws://${node.host}/parties/main`, "h124-yws", doc, ws) },
    { room: "h124-ypk", make: (doc: Y.Doc) => new YPartyKitAnchorProvider(node.host, "h124-ypk", doc, ws) },
  ].map(({ room, make }) => {
    const doc = new Y.Doc();
    const provider = make(doc) as { destroy(): void; on(name: "status", f: (event: { status: string }) => void): void };
    const statuses: string[] = [];
    provider.on("status", ({ status }) => statuses.push(status));
    return { room, doc, provider, statuses, edits: doc.getArray<string>("edits") };
  });
  const stored = async (room: string) => {
    const answer = await fetch(`${node.url}/parties/main/${room}`);
    return answer.status === 200 ? (((await answer.json()) as { edits?: string[] }).edits ?? []) : undefined;
  };
  try {
    for (const client of clients) client.edits.push(["before"]);
    for (const client of clients) await until(async () => (await stored(client.room))?.includes("before") === true, `${client.room}'s first edit to be stored`);

    node.redisLink.partition();
    for (const client of clients) {
      const connected = client.statuses.lastIndexOf("connected");
      await until(() => client.statuses.lastIndexOf("disconnected") > connected, `${client.room}'s provider to be closed as its lease runs out`);
      client.edits.push(["offline-1"]);
    }
    await until(() => node.output.includes('"event":"cluster.redis_silent"'), "the node to find Redis silent");
    // A reconnect or two refused meanwhile (each a 1013), more edits typed.
    for (const client of clients) {
      const seen = client.statuses.length;
      await until(() => client.statuses.length >= seen + 2, `${client.room}'s provider to try again`);
      client.edits.push(["offline-2"]);
    }

    node.redisLink.heal();
    for (const client of clients) {
      await until(
        async () => JSON.stringify(((await stored(client.room)) ?? []).slice().sort()) === JSON.stringify(["before", "offline-1", "offline-2"]),
        `${client.room}'s offline edits to be stored after the heal`,
      );
    }
  } finally {
    for (const client of clients) client.provider.destroy();
  }
  expect(clients.map((client) => client.edits.toArray())).toEqual(clients.map(() => ["before", "offline-1", "offline-2"]));
});
