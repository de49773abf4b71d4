/**
 * Two nodes, one of them cut off from Redis (not from PostgreSQL) while it owns a room both write to (h124, an attack
 * on h118's claims during a partition): the room moves to the other node, the cut-off node refuses its clients (1013,
 * Redis silent) until the partition heals, and nothing either side acknowledged is lost.
 */
import { expect, test, vi } from "vitest";
import { storedTokens } from "../reliability/support/crash-harness.js";
import { startCluster, until, useCluster, type ClusterNode } from "./cluster.js";
import { KeepWriting } from "./writer.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

test("a room's owner cut off from Redis while clients on both nodes write: one owner at a time, every acknowledged update stored after the heal", async () => {
  const cluster = await startCluster(2);
  const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
  const room = "h124-split";
  const onA = new KeepWriting(a.host, "main", room, "a");
  await until(() => onA.acknowledged.length > 0, "a's writer to be served");
  expect(await cluster.owner(`main/${room}`)).toBe(a.url);
  const onB = new KeepWriting(b.host, "main", room, "b");
  await until(() => onB.acknowledged.length > 0, "b's writer to be served (relayed to a)");

  a.redisLink.partition();
  const cutAt = performance.now();
  await until(async () => (await cluster.owner(`main/${room}`)) === b.url, "b to take the room over");
  const takenAt = performance.now();
  await until(() => onB.acknowledgedAfter(takenAt), "b's writer to be served by b");
  // a refuses its clients at once while Redis is silent (and serves nothing under a lease run out).
  await until(() => a.output.includes('"event":"cluster.redis_silent"'), "a to find Redis silent");
  process.stdout.write(`[cluster h124] b served the room ${Math.round(performance.now() - cutAt)} ms after a was cut off\n`);

  // a's client retrying meanwhile (a provider's reconnects), each refused at once.
  const connections = onA.connections;
  await until(() => onA.connections >= connections + 10, "a's writer to be refused ten times more");
  expect(a.output).not.toContain('"event":"cluster.redis_answering"');

  a.redisLink.heal();
  const healedAt = performance.now();
  await until(() => onA.acknowledgedAfter(healedAt), "a's writer to be served again (relayed to b)");
  await Promise.all([onA.stop(), onB.stop()]);
  expect(await cluster.owner(`main/${room}`)).toBe(b.url);
  const stored = await storedTokens(b.host, { party: "main", room });
  const lost = [...onA.acknowledged, ...onB.acknowledged].filter((token) => !stored.has(token));
  expect(lost).toEqual([]);
  expect(onA.acknowledged.length + onB.acknowledged.length).toBeGreaterThan(20);
});
