/**
 * A node whose storage never opens (a --store PostgreSQL URL whose server never answers: a firewall dropping the
 * packets) must not take the leader lease meanwhile: crons and stored alarms go on on a healthy node, and the failing
 * node leaves nothing of its own in Redis when it exits.
 */
import { createServer, type AddressInfo } from "node:net";
import { createClient } from "@redis/client";
import { expect, test, vi } from "vitest";
import { CliProcess, closedPort, copyFixture } from "../cli/helpers.js";
import { LEADER_LEASE } from "../../src/cluster/placement.js";
import { TOKEN, nodeArgs, startCluster, until, useCluster } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

test("a node whose --store never answers does not lead while it waits for it: the crons stay on the healthy node, and nothing of it is left in Redis after it exits 2", async () => {
  const cluster = await startCluster(1);
  const [healthy] = cluster.nodes;
  await until(async () => (await cluster.owner(LEADER_LEASE)) === healthy!.url, "the healthy node to lead");

  // PostgreSQL as a dropped route: the connection is accepted and never answered (pg gives up after 10 s).
  const silent = createServer((socket) => socket.resume());
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const project = await copyFixture("project", new URL("./fixtures", import.meta.url).pathname);
  const port = await closedPort();
  const failing = `http://127.0.0.1:${port}`;
  const node = new CliProcess(nodeArgs(port, cluster.redis.url, `postgres://postgres@127.0.0.1:${(silent.address() as AddressInfo).port}/yparty`), {
    cwd: project.dir,
    env: { YPARTY_ADMIN_TOKEN: TOKEN },
  });
  const redis = createClient({ url: cluster.redis.url });
  redis.on("error", () => {});
  await redis.connect();
  const leaders = new Set<string>();
  let watching = true;
  const watch = (async () => {
    while (watching) {
      const leader = await cluster.owner(LEADER_LEASE);
      if (leader) leaders.add(leader);
      await new Promise((resolve) => setTimeout(resolve, 20)); // sampling Redis: nothing tells the test a key changed
    }
  })();
  try {
    await node.waitFor(/"event":"cluster\.joined"/);
    // The leader leaves (its lease released): the failing node is the only one competing for a while.
    await healthy!.kill("SIGTERM");
    await until(async () => (await cluster.owner(LEADER_LEASE)) === undefined, "the leader lease to be released");
    const restartedAt = performance.now();
    await healthy!.start();
    await until(async () => (await cluster.owner(LEADER_LEASE)) === healthy!.url, "the healthy node to lead again", 30_000);
    process.stdout.write(`[cluster h78] leader back ${Math.round(performance.now() - restartedAt)} ms after the restart began\n`);

    // Its storage gives up: it exits 2 saying why, and leaves no key of its own behind (lease or node key).
    await node.waitFor(/Could not open postgres:.*connection timeout/, 30_000);
    const code = await new Promise<number | null>((resolve) =>
      node.child.exitCode !== null ? resolve(node.child.exitCode) : node.child.once("exit", (exitCode) => resolve(exitCode)),
    );
    expect(code).toBe(2);
    const keys = await redis.keys("yparty:*");
    const values = await Promise.all(keys.filter((key) => key.startsWith("yparty:lease:")).map((key) => redis.get(key)));
    expect(keys).not.toContain(`yparty:node:${failing}`);
    expect(values.filter((value) => value?.startsWith(`${failing} `))).toEqual([]);
  } finally {
    watching = false;
    await watch;
    await node.stop("SIGKILL");
  }
  // Before: it took the lease a TTL after its release and held it until its storage gave up (10 s), running no cron.
  expect([...leaders]).toEqual([healthy!.url]);
  redis.destroy();
  silent.close();
  await project.remove();
});
