/**
 * Three yparty processes in a cluster (test/cluster/cluster.ts), used as one server: clients connected to different
 * nodes share one live room — one document, one onStart, one room.storage, alarms on the owner — and any node answers
 * for the whole cluster.
 */
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { expect, test, vi } from "vitest";
import { YPartyKitProvider } from "../../provider/index.js";
import { once } from "node:events";
import { runCli } from "../cli/helpers.js";
import { refusedUpgrade, waitFor } from "../helpers/server.js";
import { storedTokens } from "../reliability/support/crash-harness.js";
import { TOKEN, startCluster, until, useCluster, type ClusterNode, type TestCluster } from "./cluster.js";
import { TokenWriter } from "./writer.js";

// One cluster for the file: each test uses rooms of its own and kills no node.
useCluster("file");
// Three processes start for the file (a few seconds each on a loaded machine) within its first test.
vi.setConfig({ testTimeout: 90_000 });
let shared: Promise<TestCluster> | undefined;
const threeNodes = () => (shared ??= startCluster(3));

/** Resolves once `check` holds, re-checked on each update of `doc`. */
function whenDoc(doc: Y.Doc, check: () => boolean, what: string): Promise<void> {
  return waitFor(
    new Promise<void>((resolve) => {
      const poll = () => {
        if (!check()) return;
        doc.off("update", poll);
        resolve();
      };
      doc.on("update", poll);
      poll();
    }),
    what,
    10_000,
  );
}

test("providers on three nodes edit one document and converge; one node owns it, and yparty list on any node says which", async () => {
  const cluster = await threeNodes();
  const [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  const docs = [new Y.Doc(), new Y.Doc(), new Y.Doc()];
  const providers = [
    new YPartyKitProvider(a.host, "doc-1", docs[0], { WebSocketPolyfill: WebSocket as never }),
    new WebsocketProvider(`ws://${b.host}/parties/main`, "doc-1", docs[1]!, { WebSocketPolyfill: WebSocket as never }),
    new YPartyKitProvider(c.host, "doc-1", docs[2], { WebSocketPolyfill: WebSocket as never }),
  ];
  try {
    docs.forEach((doc, i) => doc.getArray<string>("edits").push([`from node ${i + 1}`]));
    for (const [i, doc] of docs.entries()) {
      await whenDoc(doc, () => doc.getArray("edits").length === 3, `node ${i + 1}'s client to see all three edits`);
    }
    const contents = docs.map((doc) => doc.getArray<string>("edits").toArray());
    expect(contents[1]).toEqual(contents[0]);
    expect(contents[2]).toEqual(contents[0]);
    expect([...contents[0]!].sort()).toEqual(["from node 1", "from node 2", "from node 3"]);

    // One owner, the same for everyone; the others relayed to it.
    const owner = await cluster.owner("main/doc-1");
    expect(cluster.nodes.map((node) => node.url)).toContain(owner);
    expect(await cluster.fence("main/doc-1")).toBe(1);
    const other = cluster.nodes.find((node) => node.url !== owner)!;
    const rows = await cluster.list(other);
    expect(rows.find((row) => row.party === "main" && row.id === "doc-1")).toMatchObject({ node: owner, connections: 3 });

    // HTTP through a node that does not own the room reads the owner's document.
    const viaOther = await fetch(`${other.url}/parties/main/doc-1`);
    expect(viaOther.status).toBe(200);
    expect(await viaOther.json()).toEqual({ edits: contents[0] });
  } finally {
    for (const provider of providers) provider.destroy();
  }
});

test("a PartyKit-style class runs unchanged: one onStart, one room.storage and its alarm on the owner, whichever node is asked", async () => {
  const cluster = await threeNodes();
  const room = (node: (typeof cluster.nodes)[0]) => `${node.url}/parties/counter/c-1`;
  // A request through each node: all reach one room instance.
  const answers = [];
  for (const node of cluster.nodes) {
    const response = await fetch(room(node), { method: "POST", body: JSON.stringify({}), headers: { "x-forwarded-for": "203.0.113.9" } });
    expect(response.status).toBe(200);
    answers.push((await response.json()) as { pid: number; starts: number; count: number; forwardedFor: string });
  }
  const owner = cluster.node(await cluster.owner("counter/c-1"));
  expect(new Set(answers.map((answer) => answer.pid))).toEqual(new Set([owner.pid]));
  expect(answers.map((answer) => answer.count)).toEqual([1, 2, 3]);
  expect(answers.every((answer) => answer.starts === 1)).toBe(true);
  // The address the room sees is the client's as the entry node saw it (a client's own header is not believed).
  expect(answers.every((answer) => answer.forwardedFor === "127.0.0.1")).toBe(true);

  // An alarm set through a node that is not the owner fires once, on the owner.
  const other = cluster.nodes.find((node) => node !== owner)!;
  await fetch(room(other), { method: "POST", body: JSON.stringify({ alarmInMs: 200 }) });
  const fired = async () => ((await (await fetch(room(other))).json()) as { alarms: number; alarmPids: number[] }).alarmPids;
  await until(async () => (await fired()).length > 0, "the alarm to fire");
  expect(await fired()).toEqual([owner.pid]);
});

test("crons run once per cluster: each tick of a per-second cron is reported once, from one node", async () => {
  const cluster = await threeNodes();
  const ticks = async () => ((await (await fetch(`${cluster.nodes[2]!.url}/parties/counter/crons`)).json()) as { ticks: Record<string, number> }).ticks;
  await until(async () => Object.keys(await ticks()).length >= 3, "three cron ticks");
  const seen = await ticks();
  expect(
    Object.values(seen).every((runs) => runs === 1),
    `ticks run more than once: ${JSON.stringify(seen)}`,
  ).toBe(true);
  expect(await cluster.owner("__yparty:crons")).toBeDefined();
});

test("onBeforeConnect hands a socket to a room another node serves; a forged cluster header is not believed; no second hop", async () => {
  const cluster = await threeNodes();
  const [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  expect((await fetch(`${c.url}/parties/counter/h-1`, { method: "POST", body: "{}" })).status).toBe(200);
  expect(await cluster.owner("counter/h-1")).toBe(c.url);
  const listener = new WebSocket(`ws://${a.host}/parties/counter/h-1`);
  await waitFor(once(listener, "open"), "the listener to connect");
  const heard = once(listener, "message");

  expect((await refusedUpgrade(`ws://${b.host}/parties/gate/h-1`)).status).toBe(401);
  // With the wrong secret the header is the client's own: the gate still runs.
  expect((await refusedUpgrade(`ws://${b.host}/parties/gate/h-1`, { "x-yparty-cluster": "a guess" })).status).toBe(401);

  const handed = new WebSocket(`ws://${b.host}/parties/gate/h-1?token=ok`);
  await waitFor(once(handed, "open"), "the handed-off socket to connect");
  handed.send("hello from a hand-off");
  const [message] = (await waitFor(heard, "the room on another node to relay the message")) as [Buffer];
  expect(message.toString()).toBe("hello from a hand-off");
  handed.close();
  listener.close();

  // A request forwarded by a node (it carries the secret) that reaches a node not serving the room is not sent on.
  const hop = await fetch(`${a.url}/parties/counter/h-1`, { headers: { "x-yparty-cluster": TOKEN } });
  expect(hop.status).toBe(503);
  expect(((await hop.json()) as { error: { code: string } }).error.code).toBe("ERR_ROOM_MOVED");
});

test("the admin API answers for the cluster: delete on any node goes to the owner (refused while in use), export reads PostgreSQL", async () => {
  const cluster = await threeNodes();
  const [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  const writer = new TokenWriter(a.host, "main", "adm-1");
  await writer.opened;
  writer.write("kept");
  await writer.settled();
  const admin = (node: ClusterNode, ...args: string[]) => runCli([...args, "--url", node.url, "--token", TOKEN]);

  const inUse = await admin(c, "delete", "main/adm-1", "--yes");
  expect(inUse.code).toBe(1);
  expect(inUse.stderr).toMatch(/ERR_ROOM_IN_USE: main\/adm-1 is in use \(1 connection\)/);
  const exported = await admin(b, "export", "main/adm-1");
  expect(exported.code).toBe(0);
  expect(JSON.parse(exported.stdout)).toEqual({ tokens: ["kept"] });

  writer.close();
  await writer.closed;
  const deleted = await admin(c, "delete", "main/adm-1", "--yes");
  expect(deleted.code, deleted.stderr).toBe(0);
  expect(deleted.stdout).toBe("Deleted main/adm-1.\n");
  expect(await storedTokens(b.host, { party: "main", room: "adm-1" })).toEqual(new Set());
});
