/** `yparty start --cluster …` refuses what cannot make a cluster, before starting anything (exit 2, saying why). */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { CliProcess, closedPort, copyFixture, runCli } from "../cli/helpers.js";

const start = (...args: string[]) => runCli(["start", "--port", "0", ...args], { env: { YPARTY_ADMIN_TOKEN: "cluster-cli-test-token" } });

test("a cluster on LevelDB or memory storage, or without --advertise, exits 2 saying why", async () => {
  const leveldb = await start("--cluster", "redis://127.0.0.1:1", "--advertise", "http://127.0.0.1:1999");
  expect(leveldb.code).toBe(2);
  expect(leveldb.stderr).toMatch(
    /a cluster needs --store postgres:\/\/… \(the data is now in the LevelDB folder .*\): every node must read what the others wrote/,
  );

  const memory = await start("--cluster", "redis://127.0.0.1:1", "--advertise", "http://127.0.0.1:1999", "--no-persist");
  expect(memory.code).toBe(2);
  expect(memory.stderr).toMatch(/a cluster needs --store postgres:\/\/… \(the data is now in memory\)/);

  const noAdvertise = await start("--cluster", "redis://127.0.0.1:1", "--store", "postgres://127.0.0.1:1/x");
  expect(noAdvertise.code).toBe(2);
  expect(noAdvertise.stderr).toMatch(/needs --advertise http:\/\/HOST:PORT/);

  const badTtl = await start("--cluster", "redis://127.0.0.1:1", "--store", "postgres://127.0.0.1:1/x", "--advertise", "http://a:1", "--lease-ttl", "0");
  expect(badTtl.code).toBe(2);
  expect(badTtl.stderr).toMatch(/--lease-ttl.*above 0/);

  const advertiseAlone = await start("--advertise", "http://127.0.0.1:1999");
  expect(advertiseAlone.code).toBe(2);
  expect(advertiseAlone.stderr).toMatch(/need --cluster/);
});

test("a cluster node without an admin token (the nodes' shared secret) exits 2", async () => {
  const result = await runCli([
    "start",
    "--port",
    "0",
    "--cluster",
    "redis://127.0.0.1:1",
    "--store",
    "postgres://127.0.0.1:1/x",
    "--advertise",
    "http://127.0.0.1:1999",
  ]);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/needs --admin-token/);
});

test("a cluster node whose config mounts the rooms or game protocol exits 2 saying they run on one node", async () => {
  const project = await mkdtemp(join(tmpdir(), "yparty-cluster-game-"));
  try {
    await writeFile(join(project, "server.ts"), "export default class { onMessage() {} }\n");
    await writeFile(join(project, "game.ts"), "export default {};\n");
    await writeFile(join(project, "yparty.json"), JSON.stringify({ main: "server.ts", game: "game.ts" }));
    const result = await runCli(
      ["start", "--port", "0", "--cluster", "redis://127.0.0.1:1", "--store", "postgres://127.0.0.1:1/x", "--advertise", "http://127.0.0.1:1999"],
      { cwd: project, env: { YPARTY_ADMIN_TOKEN: "cluster-cli-test-token" } },
    );
    // Before: it started, and a join failed (1011, local.accept_failed) whenever the match lived on another node.
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/game.*the game protocol runs on one node for now.*without --cluster/);
  } finally {
    await rm(project, { recursive: true, force: true });
  }
});

test("a cluster node whose Redis cannot be reached (refused, or a server that never answers) exits 1 within seconds, saying so without the URL's password", async () => {
  const project = await copyFixture("project", new URL("./fixtures", import.meta.url).pathname);
  try {
    const port = await closedPort();
    const startedAt = performance.now();
    const result = await runCli(
      [
        "start",
        "--port",
        "0",
        "--cluster",
        `redis://:redis-password@127.0.0.1:${port}`,
        "--store",
        "postgres://127.0.0.1:1/x",
        "--advertise",
        "http://127.0.0.1:1999",
      ],
      { cwd: project.dir, env: { YPARTY_ADMIN_TOKEN: "cluster-cli-test-token" }, timeoutMs: 20_000 },
    );
    // Before: it retried forever, silent after one warning, and never listened nor exited.
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`Could not join the cluster through Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    expect(result.stdout + result.stderr).not.toContain("redis-password");
    expect(performance.now() - startedAt).toBeLessThan(15_000);

    // A server that accepts and never answers (not Redis, or frozen): before, the node hung there too, and a SIGTERM
    // then waited out its shutdown timeout and still did not end it.
    const silent = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const silentPort = (silent.address() as AddressInfo).port;
    try {
      const hung = await runCli(
        ["start", "--port", "0", "--cluster", `redis://127.0.0.1:${silentPort}`, "--store", "postgres://127.0.0.1:1/x", "--advertise", "http://127.0.0.1:1999"],
        { cwd: project.dir, env: { YPARTY_ADMIN_TOKEN: "cluster-cli-test-token" }, timeoutMs: 20_000 },
      );
      expect(hung.code).toBe(1);
      expect(hung.stderr).toMatch(/Could not join the cluster through Redis at redis:\/\/127\.0\.0\.1:\d+.*not connected within 5 s/);
    } finally {
      silent.close();
    }
  } finally {
    await project.remove();
  }
}, 60_000);

test("a second Ctrl-C ends a node whose startup hangs (waiting for Redis) at once, as it ends any shutdown", async () => {
  const project = await copyFixture("project", new URL("./fixtures", import.meta.url).pathname);
  let connected!: () => void;
  const reached = new Promise<void>((resolve) => (connected = resolve));
  // Accepts and never answers: the node waits for it (up to its 5 s deadline) inside its startup.
  const silent = createServer((socket) => {
    socket.resume();
    connected();
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const cli = new CliProcess(
    [
      "start",
      "--port",
      "0",
      "--cluster",
      `redis://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      "--store",
      "postgres://127.0.0.1:1/x",
      "--advertise",
      "http://127.0.0.1:1999",
    ],
    { cwd: project.dir, env: { YPARTY_ADMIN_TOKEN: "cluster-cli-test-token" } },
  );
  try {
    await reached;
    cli.child.kill("SIGINT");
    await cli.waitFor(/shutdown\.waiting/); // the first press's grace is over: the next one forces the exit
    const pressedAt = performance.now();
    expect(await cli.stop("SIGINT")).toBe(1);
    expect(cli.output).toContain("shutdown.forced");
    // At once, not when the startup's Redis deadline (5 s from the start) ends the wait.
    expect(performance.now() - pressedAt).toBeLessThan(2_500);
  } finally {
    await cli.stop("SIGKILL");
    silent.close();
    await project.remove();
  }
}, 30_000);
