/**
 * A SIGTERM while the node's storage is being opened and never answers (a --store PostgreSQL behind a route that drops
 * packets): the node leaves at once, removing its node key from Redis, instead of waiting for the open to give up
 * (10 s, past an orchestrator's usual grace before SIGKILL, which would leave the key for a TTL).
 */
import { createServer, type AddressInfo } from "node:net";
import { createClient } from "@redis/client";
import { expect, test, vi } from "vitest";
import { CliProcess, closedPort, copyFixture } from "../cli/helpers.js";
import { waitFor } from "../helpers/server.js";
import { TOKEN, nodeArgs, startCluster, useCluster } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 60_000 });

test("a SIGTERM during a storage open that hangs: the node exits within 3 s, its node key removed", async () => {
  const cluster = await startCluster(1);
  // PostgreSQL as a dropped route: the connection is accepted and never answered.
  const silent = createServer((socket) => socket.resume());
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const project = await copyFixture("project", new URL("./fixtures", import.meta.url).pathname);
  const port = await closedPort();
  const store = `postgres://postgres@127.0.0.1:${(silent.address() as AddressInfo).port}/yparty`;
  const node = new CliProcess(nodeArgs(port, cluster.redis.url, store), { cwd: project.dir, env: { YPARTY_ADMIN_TOKEN: TOKEN } });
  const redis = createClient({ url: cluster.redis.url });
  redis.on("error", () => {});
  await redis.connect();
  try {
    await node.waitFor(/"event":"cluster\.joined"/);
    const key = `yparty:node:http://127.0.0.1:${port}`;
    expect(await redis.exists(key)).toBe(1);
    const exited = new Promise<number | null>((resolve) => node.child.once("exit", (code) => resolve(code)));
    const sentAt = performance.now();
    node.child.kill("SIGTERM");
    const code = await waitFor(exited, "the node to exit after SIGTERM", 3_000);
    process.stdout.write(`[cluster h85] exited ${code} ${Math.round(performance.now() - sentAt)} ms after SIGTERM\n`);
    expect(code).toBe(0);
    expect(await redis.exists(key)).toBe(0);
  } finally {
    await node.stop("SIGKILL");
    redis.destroy();
    silent.close();
    await project.remove();
  }
});
