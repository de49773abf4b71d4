/**
 * Redis frozen (SIGSTOP) past the lease TTL, and Redis stopped past it then started again, while clients write through
 * every node with durable acks: service comes back by itself, the rooms are served by one node each again, and every
 * acknowledged update is stored.
 */
import { expect, test, vi } from "vitest";
import { storedTokens } from "../reliability/support/crash-harness.js";
import { startCluster, until, useCluster, type TestCluster } from "./cluster.js";
import { KeepWriting } from "./writer.js";

useCluster();
vi.setConfig({ testTimeout: 120_000 });

const ROOMS = ["pause-a", "pause-b", "pause-c"];

/** Waits, once Redis is out, until each room's owner has given it up (no renewal confirmed in time). */
async function ownersGiveUp(cluster: TestCluster): Promise<() => Promise<void>> {
  const owners = await Promise.all(ROOMS.map(async (room) => cluster.node(await cluster.owner(`main/${room}`))));
  const marks = owners.map((node) => node.output.length);
  return () =>
    until(
      () => owners.every((node, i) => new RegExp(`"cluster.lease_expired".*"room":"main/${ROOMS[i]}"`).test(node.output.slice(marks[i]))),
      "every room's owner to give it up",
    );
}

/** A writer per node and room, through `outage`; then every acknowledged token must be stored. */
async function underLoad(cluster: TestCluster, outage: () => Promise<void>): Promise<void> {
  const writers = ROOMS.flatMap((room) => cluster.nodes.map((node, i) => ({ room, writer: new KeepWriting(node.host, "main", room, `${room}.n${i}`) })));
  const resumed = (since: number, what: string) => until(() => writers.every(({ writer }) => writer.acknowledgedAfter(since)), what, 40_000);
  try {
    await resumed(0, "every writer to get acks");
    await outage();
    const back = performance.now();
    await resumed(back, "every writer to get acks after the outage");
    process.stdout.write(`[cluster h78] every writer acknowledged again ${Math.round(performance.now() - back)} ms after Redis was back\n`);
  } finally {
    await Promise.all(writers.map(({ writer }) => writer.stop()));
  }
  for (const room of ROOMS) {
    const acknowledged = writers.filter((entry) => entry.room === room).flatMap(({ writer }) => writer.acknowledged);
    expect(acknowledged.length).toBeGreaterThan(3);
    const stored = await storedTokens(cluster.nodes[0]!.host, { party: "main", room });
    expect(
      acknowledged.filter((token) => !stored.has(token)),
      `acknowledged tokens of ${room} missing`,
    ).toEqual([]);
    const owner = await cluster.owner(`main/${room}`);
    expect(cluster.nodes.map((node) => node.url)).toContain(owner);
  }
}

test("Redis frozen (SIGSTOP) past the lease TTL under load, then resumed: writes resume and every ack is kept", async () => {
  const cluster = await startCluster(3);
  await underLoad(cluster, async () => {
    const givenUp = await ownersGiveUp(cluster);
    process.kill(cluster.redis.pid, "SIGSTOP");
    try {
      // Commands sent meanwhile wait in Redis's socket: renewals go unanswered, the owners give up their rooms.
      await givenUp();
    } finally {
      process.kill(cluster.redis.pid, "SIGCONT");
    }
  });
  for (const node of cluster.nodes) expect(node.process!.child.exitCode).toBeNull();
});

test("Redis stopped past the lease TTL under load, then started again on the same port: writes resume and every ack is kept", async () => {
  const cluster = await startCluster(3);
  await underLoad(cluster, async () => {
    const givenUp = await ownersGiveUp(cluster);
    await cluster.redis.stop("graceful");
    await givenUp();
    await cluster.redis.start();
  });
  for (const node of cluster.nodes) expect(node.process!.child.exitCode).toBeNull();
});
