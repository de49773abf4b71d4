/**
 * Failover on three yparty processes (--lease-ttl 1): a room whose owner is killed comes back on another node with
 * every acknowledged update, and an owner paused past its lease cannot write over its successor (the fence).
 */
import { expect, test, vi } from "vitest";
import { storedTokens } from "../reliability/support/crash-harness.js";
import { waitFor } from "../helpers/server.js";
import { LEASE_TTL_S, startCluster, useCluster, type ClusterNode, until } from "./cluster.js";
import { TokenWriter, writeUntilClosed } from "./writer.js";

useCluster();
// Three processes start per test (a few seconds each on a loaded machine) before any waiting of the test's own.
vi.setConfig({ testTimeout: 90_000 });

/** A writer through `node` into `room` that wrote `token` and saw it acknowledged; still open. */
async function wroteThrough(node: ClusterNode, room: string, token: string): Promise<TokenWriter> {
  const writer = new TokenWriter(node.host, "main", room);
  await writer.opened;
  writer.write(token);
  await writer.settled();
  expect(writer.acknowledged).toEqual([token]);
  return writer;
}

/** Claims the room on `node` (its first client comes through it) and returns once it is stored there. */
async function claimOn(node: ClusterNode, room: string): Promise<void> {
  const writer = await wroteThrough(node, room, "first");
  writer.close();
  await writer.closed;
}

test("kill -9 of the owner under load with durable acks: the room comes back on another node with every acknowledged update", async () => {
  const cluster = await startCluster(3);
  const [owner, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  await claimOn(owner, "load");
  expect(await cluster.owner("main/load")).toBe(owner.url);

  // Writers on the two other nodes (relayed to the owner), writing every few milliseconds.
  const before = [new TokenWriter(b.host, "main", "load"), new TokenWriter(c.host, "main", "load")];
  const loads = before.map((writer, i) => writeUntilClosed(writer, `w${i}`));
  await until(async () => before.every((writer) => writer.acknowledged.length >= 10), "both writers to have acks before the kill");
  const killedAt = performance.now();
  await owner.kill("SIGKILL");
  await Promise.all(loads); // each socket cut by the kill
  const ackedBefore = before.flatMap((writer) => writer.acknowledged);

  // Providers reconnect: a new writer through each surviving node. The first is held until the lease runs out.
  const after = [new TokenWriter(b.host, "main", "load"), new TokenWriter(c.host, "main", "load")];
  await Promise.all(after.map((writer) => writer.opened));
  after.forEach((writer, i) => writer.write(`after-${i}`));
  await Promise.all(after.map((writer) => writer.settled()));
  for (const writer of after) expect(writer.unacknowledged).toEqual([]);
  const recoveredMs = Math.min(...after.map((writer) => writer.firstAckAt!)) - killedAt;
  process.stdout.write(`[cluster failover] kill -9 of the owner → first ack on another node: ${Math.round(recoveredMs)} ms (lease TTL ${LEASE_TTL_S} s)\n`);
  expect(recoveredMs).toBeLessThan(LEASE_TTL_S * 1000 + 3_000);

  const newOwner = await cluster.owner("main/load");
  expect([b.url, c.url]).toContain(newOwner);
  expect(await cluster.fence("main/load")).toBe(2);
  // Every acknowledged token is in the document, read through the node that does not own it now.
  const reader = newOwner === b.url ? c : b;
  const stored = await storedTokens(reader.host, { party: "main", room: "load" });
  for (const token of [...ackedBefore, "first", "after-0", "after-1"]) expect(stored, `acknowledged ${token} is stored`).toContain(token);
  for (const writer of after) writer.close();
});

test("SIGSTOP of the owner past its lease, writes through another node, SIGCONT: the stale owner's writes are refused", async () => {
  const cluster = await startCluster(3);
  const [owner, b] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  await claimOn(owner, "paused");
  // A raw client on the owner itself: what it sends while the owner is stopped, it will never send again.
  const stale = await wroteThrough(owner, "paused", "stale-before");

  await owner.kill("SIGSTOP");
  try {
    stale.write("stale-during"); // reaches the stopped process's socket buffer
    await until(async () => (await cluster.owner("main/paused")) !== owner.url, "the stopped owner's lease to run out");
    const fresh = await wroteThrough(b, "paused", "fresh");
    expect(await cluster.fence("main/paused")).toBe(2);
    fresh.close();
  } finally {
    await owner.kill("SIGCONT");
  }
  // Resumed, the stale owner finds its lease gone: its clients are told to go (1013); what it got meanwhile is refused.
  expect(await waitFor(stale.closed, "the stale owner to close its client")).toBe(1013);
  expect(stale.unacknowledged).toEqual(["stale-during"]);
  await until(async () => /ERR_FENCED/.test(owner.output), "the stale owner to log the refused write");

  const stored = await storedTokens(b.host, { party: "main", room: "paused" });
  expect([...stored].sort()).toEqual(["first", "fresh", "stale-before"]);
  expect(await cluster.fence("main/paused")).toBe(2);
});

test("SIGTERM: the owner flushes, releases its leases and leaves; the room is claimed at once by the next request elsewhere", async () => {
  const cluster = await startCluster(2);
  const [owner, other] = cluster.nodes as [ClusterNode, ClusterNode];
  await claimOn(owner, "drained");
  const writer = await wroteThrough(other, "drained", "before-drain");
  await owner.kill("SIGTERM");
  expect(owner.process!.child.exitCode).toBe(0);
  // Released, not left to expire: no lease, no node key.
  expect(await cluster.owner("main/drained")).toBeUndefined();
  expect((await cluster.list(other)).map((row) => row.node).filter((node) => node === owner.url)).toEqual([]);
  expect(await writer.closed).toBe(1001); // the owner's close frame, relayed as it was sent

  await wroteThrough(other, "drained", "after-drain");
  expect(await cluster.owner("main/drained")).toBe(other.url);
  const stored = await storedTokens(other.host, { party: "main", room: "drained" });
  expect([...stored].sort()).toEqual(["after-drain", "before-drain", "first"]);
});

test("an alarm whose owner was killed fires on another node, woken there while no node serves the room", async () => {
  const cluster = await startCluster(3);
  const [owner] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  const set = await fetch(`${owner.url}/parties/counter/al-1`, { method: "POST", body: JSON.stringify({ alarmInMs: 2_500 }) });
  expect(((await set.json()) as { pid: number }).pid).toBe(owner.pid);
  await owner.kill("SIGKILL");
  // No request reaches the room: the node leading the cluster wakes it when the alarm is due.
  await until(async () => ((await cluster.fence("counter/al-1")) ?? 0) >= 2, "another node to claim the room for its alarm");
  const survivor = cluster.nodes.find((node) => node !== owner)!;
  const read = async () => (await (await fetch(`${survivor.url}/parties/counter/al-1`)).json()) as { alarmPids: number[]; alarm: number | null };
  await until(async () => (await read()).alarmPids.length > 0, "the alarm to fire");
  const { alarmPids, alarm } = await read();
  expect(alarmPids).toHaveLength(1);
  expect(alarmPids[0]).not.toBe(owner.pid);
  expect(cluster.nodes.filter((node) => node !== owner).map((node) => node.pid)).toContain(alarmPids[0]);
  expect(alarm).toBeNull();
});

test("a node cut off from Redis past its lease closes its rooms (1013); another node takes them; healed, it serves again", async () => {
  const cluster = await startCluster(2);
  const [cut, other] = cluster.nodes as [ClusterNode, ClusterNode];
  await claimOn(cut, "cut-off");
  const direct = new TokenWriter(cut.host, "main", "cut-off");
  await direct.opened;

  cut.redisLink.partition();
  // Its renewals go unanswered: at validUntil its rooms stop, whatever Redis would say later.
  expect(await waitFor(direct.closed, "the cut-off node to close its room")).toBe(1013);
  await until(async () => (await cluster.owner("main/cut-off")) === undefined, "the lease to run out in Redis");
  const moved = await wroteThrough(other, "cut-off", "on-the-other-node");
  expect(await cluster.owner("main/cut-off")).toBe(other.url);

  cut.redisLink.heal();
  // Back: it forwards to the room's new owner.
  const back = await wroteThrough(cut, "cut-off", "through-the-healed-node");
  const stored = await storedTokens(other.host, { party: "main", room: "cut-off" });
  expect([...stored].sort()).toEqual(["first", "on-the-other-node", "through-the-healed-node"]);
  for (const writer of [moved, back]) writer.close();
});

test("an owner frozen (SIGSTOP) while another node forwards to it: a connection and a GET through that node are served by the next owner once the lease runs out", async () => {
  const cluster = await startCluster(2);
  const [owner, b] = cluster.nodes as [ClusterNode, ClusterNode];
  await claimOn(owner, "frozen");
  await owner.kill("SIGSTOP");
  try {
    // The frozen process still accepts TCP connections: the forwards wait for an answer that does not come until
    // its lease is seen gone, then go to the next owner (they hung for as long as it was frozen).
    const stoppedAt = performance.now();
    const writer = new TokenWriter(b.host, "main", "frozen");
    const read = fetch(`${b.url}/parties/main/frozen`);
    const servedWithin = LEASE_TTL_S * 1000 + 4_000;
    await waitFor(writer.opened, "the connection through the other node", servedWithin);
    writer.write("while-frozen");
    await writer.settled();
    expect(writer.acknowledged).toEqual(["while-frozen"]);
    expect((await waitFor(read, "the GET through the other node", servedWithin)).status).toBe(200);
    expect(performance.now() - stoppedAt).toBeLessThan(servedWithin);
    expect(await cluster.owner("main/frozen")).toBe(b.url);
    writer.close();
  } finally {
    await owner.kill("SIGCONT");
  }
});

test("SIGTERM of a node that only relays a client to the owner: it exits at once, not after the shutdown timeout, and the client's next connection is served", async () => {
  const cluster = await startCluster(2);
  const [owner, entry] = cluster.nodes as [ClusterNode, ClusterNode];
  await claimOn(owner, "relayed");
  const relayed = await wroteThrough(entry, "relayed", "through-entry");
  const termAt = performance.now();
  await entry.kill("SIGTERM");
  // The relayed socket kept the server waiting for its connections the whole shutdown timeout (5 s)
  expect(performance.now() - termAt).toBeLessThan(3_000);
  await waitFor(relayed.closed, "the relayed client to be cut");
  (await wroteThrough(owner, "relayed", "after")).close();
});
