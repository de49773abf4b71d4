/**
 * A SIGTERM while the node's link to Redis is cut (a partition: the connection stays open, nothing answers): the node
 * leaves within seconds whatever its lease TTL, exit 0, instead of waiting on Redis until the shutdown timeout (15 s, exit 1
 * ERR_SHUTDOWN_TIMEOUT). Its rooms' leases and node key run out by themselves. (h114)
 */
import { expect, test, vi } from "vitest";
import { waitFor } from "../helpers/server.js";
import { startCluster, useCluster } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 60_000 });

test("a SIGTERM with Redis cut off, the default lease TTL (5 s): the node exits 0 within 5 s", async () => {
  const cluster = await startCluster(1, { leaseTtlS: 5 });
  const [node] = cluster.nodes;
  // A room served (its lease held) as the partition begins.
  expect((await fetch(`${node!.url}/parties/main/partitioned`)).status).toBeLessThan(500);
  expect(await cluster.owner("main/partitioned")).toBe(node!.url);
  node!.redisLink.partition();
  const child = node!.process!.child;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const sentAt = performance.now();
  child.kill("SIGTERM");
  // A second at most for each step that waits on Redis (the rooms' releases, the leases and node key, the link's close).
  const code = await waitFor(exited, "the node to exit after SIGTERM", 5_000);
  process.stdout.write(`[cluster h114] exited ${code} ${Math.round(performance.now() - sentAt)} ms after SIGTERM\n`);
  expect(code).toBe(0);
  expect(node!.output).not.toContain("ERR_SHUTDOWN_TIMEOUT");
  node!.redisLink.heal();
});
