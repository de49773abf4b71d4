/**
 * A cluster node advertised on a port fetch() refuses (the Fetch standard's "bad ports": 6665, 6000, 10080…) serves its
 * rooms through the other nodes, which relay them over plain TCP, but their `yparty list` and admin requests to it use
 * fetch() and fail. Its start now warns, naming the port and what to do (as `server.port_blocked` does for --port).
 */
import { afterEach, expect, test } from "vitest";
import { CliProcess, closedPort, copyFixture, deferredCleanups } from "../cli/helpers.js";
import { startPostgres, startRedis } from "../helpers/engines.js";
import { nodeArgs, TOKEN, useCluster } from "./cluster.js";

useCluster();

const defer = deferredCleanups(afterEach);

test("a node whose --advertise port fetch() refuses warns at start", async () => {
  const [redis, postgres, project] = await Promise.all([
    startRedis(),
    startPostgres(),
    copyFixture("project", new URL("./fixtures", import.meta.url).pathname),
  ]);
  defer(project.remove);
  const args = nodeArgs(await closedPort(), redis.url, postgres.url).map((arg) => (arg.startsWith("http://") ? "http://127.0.0.1:6665" : arg));
  const node = new CliProcess(args, { cwd: project.dir, env: { YPARTY_ADMIN_TOKEN: TOKEN } });
  // (after the test whatever ends it, a timeout too: a node left running outlived its engines for an hour once)
  defer(() => node.stop("SIGKILL"));
  const [line] = await node.waitFor(/\{[^\n]*"cluster\.advertise_port_blocked"[^\n]*\}/, 20_000);
  const warning = JSON.parse(line!) as { level: string; port: number; message: string };
  expect(warning).toMatchObject({ level: "warn", port: 6665 });
  expect(warning.message).toContain("--advertise http://127.0.0.1:6665: port 6665 is one fetch() refuses to connect to");
  expect(warning.message).toContain("the other nodes cannot ask this one for yparty list");
});
