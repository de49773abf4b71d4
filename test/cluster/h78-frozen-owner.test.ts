/**
 * An owner frozen (SIGSTOP) past its lease while it serves rooms, then resumed (SIGCONT), with a client's update, a GET
 * and a POST waiting in its sockets and clients writing through both nodes: the stale node's clients are closed 1013
 * and move to the new owner, the GET and the POST that waited are served by the new owner (the resumed node asks
 * whether it still holds the room before serving anything), the update that waited is neither relayed, stored nor
 * acknowledged, and every acknowledged update is kept.
 */
import WebSocket from "ws";
import * as Y from "yjs";
import { expect, test, vi } from "vitest";
import { decodeMessage } from "../../src/protocol/index.js";
import { storedTokens } from "../reliability/support/crash-harness.js";
import { waitFor } from "../helpers/server.js";
import { startCluster, useCluster, until, type ClusterNode } from "./cluster.js";
import { KeepWriting, TokenWriter } from "./writer.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

/** A client of a Yjs room that only reads: the tokens its copy of the document holds. */
function reader(host: string, room: string) {
  const doc = new Y.Doc();
  const socket = new WebSocket(`ws://${host}/parties/main/${room}`);
  socket.on("error", () => {});
  socket.on("message", (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    const message = decodeMessage(new Uint8Array(data));
    if (message.type === "update" || message.type === "sync-step2") Y.applyUpdate(doc, message.update);
  });
  return {
    tokens: () => doc.getArray<string>("tokens").toArray(),
    opened: new Promise((resolve) => socket.once("open", resolve)),
    closed: new Promise<number>((resolve) => socket.once("close", (code: number) => resolve(code))),
  };
}

test("an owner resumed after a freeze past its lease: its clients are closed 1013 and move, what waited in its sockets is never stored unacknowledged, every ack is kept", async () => {
  const cluster = await startCluster(2);
  const [owner, next] = cluster.nodes as [ClusterNode, ClusterNode];
  const counter = (node: ClusterNode, init?: RequestInit) => fetch(`${node.url}/parties/counter/frozen-count`, init);
  for (let i = 0; i < 3; i++) expect((await counter(owner, { method: "POST", body: "{}" })).status).toBe(200);
  const stale = new TokenWriter(owner.host, "main", "frozen-doc");
  await stale.opened;
  stale.write("before");
  await stale.settled();
  expect(stale.acknowledged).toEqual(["before"]);
  const watcher = reader(owner.host, "frozen-doc");
  await watcher.opened;
  await until(() => watcher.tokens().includes("before"), "the reader to have the document");
  expect(await cluster.owner("main/frozen-doc")).toBe(owner.url);
  expect(await cluster.owner("counter/frozen-count")).toBe(owner.url);

  // Frozen while idle, waiting for I/O (a node frozen in the middle of a turn reads its sockets when that turn ends,
  // before its timers: see docs/cluster.md, "Not built yet").
  await owner.kill("SIGSTOP");
  let waitingGet: Promise<Response>;
  let waitingPost: Promise<Response>;
  // Clients that keep writing as providers do, one through each node (the first waits in the frozen node's backlog).
  const writers = [new KeepWriting(owner.host, "main", "frozen-doc", "on-owner"), new KeepWriting(next.host, "main", "frozen-doc", "on-next")];
  try {
    // All three wait in the frozen process's sockets.
    stale.write("stale-during");
    waitingGet = fetch(`${owner.url}/parties/main/frozen-doc?format=update`);
    waitingPost = counter(owner, { method: "POST", body: "{}" });
    await until(async () => (await cluster.owner("main/frozen-doc")) !== owner.url, "the frozen owner's lease to run out");
    const fresh = new TokenWriter(next.host, "main", "frozen-doc");
    await fresh.opened;
    fresh.write("fresh");
    await fresh.settled();
    expect(fresh.acknowledged).toEqual(["fresh"]);
    fresh.close();
    expect((await (await counter(next, { method: "POST", body: "{}" })).json()) as { count: number }).toMatchObject({ count: 4 });
  } finally {
    await owner.kill("SIGCONT");
  }

  // What waited in its sockets is read by the resumed node before its lease timers run: it asks whether it still
  // holds the room before serving any of it, so the GET and the POST go to the new owner, and the update is dropped.
  const got = await waitFor(waitingGet!, "the GET sent to the frozen node");
  expect(got.status).toBe(200);
  const answered = new Y.Doc();
  Y.applyUpdate(answered, new Uint8Array(await got.arrayBuffer()));
  expect(answered.getArray<string>("tokens").toArray()).toContain("fresh");
  const posted = await waitFor(waitingPost!, "the POST sent to the frozen node");
  expect(posted.status).toBe(200);
  expect(await waitFor(stale.closed, "the stale owner to close its client")).toBe(1013);
  expect(stale.unacknowledged).toEqual(["stale-during"]);
  expect(await waitFor(watcher.closed, "the stale owner to close its reader")).toBe(1013);
  expect(watcher.tokens()).not.toContain("stale-during"); // never relayed by the node that no longer held the room

  // The writer through the resumed node is served by the new owner through it.
  const resumedAt = performance.now();
  await until(() => writers.every((writer) => writer.acknowledgedAfter(resumedAt)), "both writers to have acks after the resume");
  await Promise.all(writers.map((writer) => writer.stop()));
  const acknowledged = [...writers.flatMap((writer) => writer.acknowledged), "before", "fresh"];
  const stored = await storedTokens(owner.host, { party: "main", room: "frozen-doc" });
  expect(acknowledged.filter((token) => !stored.has(token))).toEqual([]);
  expect(stored.has("stale-during")).toBe(false);
  expect(((await (await counter(owner)).json()) as { count: number }).count).toBe(5);
  expect(await cluster.owner("main/frozen-doc")).toBe(next.url);
});

test("clients relayed to an owner that stays frozen past its lease are cut (1006) once another node holds the room, and served there, while it is still frozen", async () => {
  const cluster = await startCluster(2);
  const [owner, entry] = cluster.nodes as [ClusterNode, ClusterNode];
  const first = new TokenWriter(owner.host, "main", "frozen-relay");
  await first.opened;
  first.write("first");
  await first.settled();
  first.close();
  const relayed = new TokenWriter(entry.host, "main", "frozen-relay");
  await relayed.opened;
  relayed.write("relayed-before");
  await relayed.settled();
  expect(relayed.acknowledged).toEqual(["relayed-before"]);

  await owner.kill("SIGSTOP");
  try {
    await until(async () => (await cluster.owner("main/frozen-relay")) !== owner.url, "the frozen owner's lease to run out");
    const fresh = new TokenWriter(entry.host, "main", "frozen-relay");
    await fresh.opened;
    fresh.write("fresh");
    await fresh.settled();
    expect(fresh.acknowledged).toEqual(["fresh"]);
    // Before: the relayed socket hung for as long as the owner was frozen (here, until the SIGCONT below).
    expect(await waitFor(relayed.closed, "the relay to the frozen owner to be cut", 10_000)).toBe(1006);
    const again = new TokenWriter(entry.host, "main", "frozen-relay");
    await again.opened;
    again.write("reconnected");
    await again.settled();
    expect(again.acknowledged).toEqual(["reconnected"]);
    for (const writer of [fresh, again]) writer.close();
  } finally {
    await owner.kill("SIGCONT");
  }
  const stored = await storedTokens(entry.host, { party: "main", room: "frozen-relay" });
  expect([...stored].sort()).toEqual(["first", "fresh", "reconnected", "relayed-before"]);
});
