/**
 * The engines under a running cluster (--lease-ttl 1): Redis restarted empty and PostgreSQL crashed and restarted
 * while clients write through every node with durable acks. Service pauses and resumes by itself; nothing
 * acknowledged is lost.
 */
import { expect, test, vi } from "vitest";
import { storedTokens } from "../reliability/support/crash-harness.js";
import { startCluster, useCluster, until } from "./cluster.js";
import { KeepWriting } from "./writer.js";

useCluster();
// Three processes start per test (a few seconds each on a loaded machine) before any waiting of the test's own.
vi.setConfig({ testTimeout: 90_000 });

test("Redis restarted empty, then PostgreSQL crashed and restarted, under load: writes resume each time and every acknowledged update is stored", async () => {
  const cluster = await startCluster(3);
  const writers = cluster.nodes.map((node, i) => new KeepWriting(node.host, "main", "engines", `n${i}`));
  const resumed = (since: number, what: string) => until(() => writers.every((writer) => writer.acknowledgedAfter(since)), what);
  try {
    await resumed(0, "every writer to get acks");
    const owner = await cluster.owner("main/engines");

    const redisDown = performance.now();
    await cluster.redis.restart("crash");
    await resumed(redisDown, "acks after Redis came back empty");
    // The lease was taken again (by the renewal, or by a new claim after the old one ran out): someone serves the room.
    await until(async () => (await cluster.owner("main/engines")) !== undefined, "the room to be leased again");
    const fenceAfterRedis = (await cluster.fence("main/engines"))!;
    expect(fenceAfterRedis).toBeGreaterThanOrEqual(1);

    const postgresDown = performance.now();
    await cluster.postgres.restart("crash");
    await resumed(postgresDown, "acks after PostgreSQL restarted");
    process.stdout.write(
      `[cluster engines] owner ${owner} → ${await cluster.owner("main/engines")}; fence ${fenceAfterRedis} after the Redis restart, ${await cluster.fence("main/engines")} now\n`,
    );
  } finally {
    await Promise.all(writers.map((writer) => writer.stop()));
  }
  const acknowledged = writers.flatMap((writer) => writer.acknowledged);
  expect(acknowledged.length).toBeGreaterThan(30);
  const stored = await storedTokens(cluster.nodes[0]!.host, { party: "main", room: "engines" });
  const missing = acknowledged.filter((token) => !stored.has(token));
  expect(missing, "acknowledged tokens missing from the document").toEqual([]);
});
