/**
 * Three (or n) yparty processes in a cluster, as users run them: the built CLI (`bin/yparty.js start --cluster …
 * --store postgres://… --advertise … --lease-ttl 1`) on a throwaway Redis and PostgreSQL (test/helpers/engines.ts),
 * serving the fixture project in test/cluster/fixtures/project (the built-in Yjs party as `main`, a PartyKit-style
 * class as `counter`).
 *
 *   startCluster(n, { leaseTtlS?, crons? }) → TestCluster { dir, redis, postgres, nodes, owner(room), fence(room), flushRedis(),
 *     list(node) }
 *   ClusterNode { url, host, pid, process, redisLink, kill(signal), start() } — each node reaches Redis through its own
 *     TCP proxy (`redisLink.partition()` / `heal()`, test/cluster/network.ts).
 *   cronRuns(cluster) → { at, pid, name }[]: each run of the project's crons, as the fixture's onCron logged it.
 *   until(check, what, ms?) — polls `check` (state in Redis, PostgreSQL or a room: nothing tells the test when it
 *     changes) until it holds, within a timeout naming what was awaited.
 *   useCluster() registers the cleanup (every node killed, every engine stopped) after each test;
 *   useCluster("file") after the file's last test, for tests that share one cluster (distinct rooms, no kills).
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createClient } from "@redis/client";
import pg from "pg";
import { afterAll, afterEach } from "vitest";
import { CliProcess, closedPort, copyFixture, runCli } from "../cli/helpers.js";
import { startPostgres, startRedis, stopAllEngines, type Engine } from "../helpers/engines.js";
import { waitFor } from "../helpers/server.js";
import { closeAllProxies, startTcpProxy, type TcpProxy } from "./network.js";

export const TOKEN = "cluster-test-secret";
export const LEASE_TTL_S = 1;
const nodes = new Set<ClusterNode>();
const removers: Array<() => Promise<void>> = [];

export function useCluster(scope: "test" | "file" = "test"): void {
  (scope === "test" ? afterEach : afterAll)(async () => {
    await Promise.all([...nodes].map((node) => node.kill("SIGKILL")));
    nodes.clear();
    await stopAllEngines();
    await closeAllProxies();
    for (const remove of removers.splice(0)) await remove();
  });
}

export class ClusterNode {
  process: CliProcess | undefined;
  readonly url: string;

  constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly cwd: string,
    /** This node's way to Redis: `partition()` cuts it off, `heal()` lets it through again. */
    readonly redisLink: TcpProxy,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    nodes.add(this);
  }

  /** `host:port`, as the crash harness's writers take it. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.process!.child.pid!;
  }

  /** Starts (again) on the same port, resolving once it is ready. */
  async start(): Promise<void> {
    this.process = new CliProcess(this.args, { cwd: this.cwd, env: { YPARTY_ADMIN_TOKEN: TOKEN } });
    // Its ready line (the JSON logs of `start` on a pipe); generous: the machine may be loaded.
    await this.process.waitFor(/"event":"yparty\.ready"/, 60_000);
  }

  /** Sends a signal; for SIGKILL and SIGTERM, resolves once the process exited. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.process?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    if (signal !== "SIGKILL" && signal !== "SIGTERM") {
      child.kill(signal);
      return;
    }
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }

  get output(): string {
    return this.process?.output ?? "";
  }
}

export interface TestCluster {
  /** The project's folder, every node's working directory (the fixture's onCron logs its runs there: cron-runs.log). */
  dir: string;
  redis: Engine;
  postgres: Engine;
  nodes: ClusterNode[];
  /** The advertise address of the node holding the room's lease (`party/room`), or undefined. */
  owner(room: string): Promise<string | undefined>;
  /** The room's fence in PostgreSQL (`rooms.fence`). */
  fence(room: string): Promise<number | undefined>;
  /**
   * Redis loses every key (FLUSHALL), its connections kept: what a restart empty leaves once the nodes reconnected,
   * without the reconnection, so a node resumed from a freeze (SIGCONT) finds its connection alive.
   */
  flushRedis(): Promise<void>;
  /** `yparty list --json` against `node`. */
  list(node: ClusterNode): Promise<Array<{ party: string; id: string; node: string | null; connections: number | null }>>;
  /** The node whose advertise address is `url`. */
  node(url: string | undefined): ClusterNode;
}

/** The arguments of `yparty start` for one node on `port` (its own advertise address) of the cluster at `redis`. */
export function nodeArgs(port: number, redis: string, store: string, leaseTtlS = LEASE_TTL_S): string[] {
  const advertise = `http://127.0.0.1:${port}`;
  return [
    "start",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--cluster",
    redis,
    "--store",
    store,
    "--advertise",
    advertise,
    "--lease-ttl",
    String(leaseTtlS),
  ];
}

/** `crons`: the project's crons in place of the fixture's (`tick`, every second). */
export async function startCluster(count = 3, options: { leaseTtlS?: number; crons?: Record<string, string> } = {}): Promise<TestCluster> {
  const [redis, postgres, project] = await Promise.all([
    startRedis(),
    startPostgres(),
    copyFixture("project", new URL("./fixtures", import.meta.url).pathname),
  ]);
  removers.push(project.remove);
  if (options.crons) {
    const config = path.join(project.dir, "yparty.json");
    await writeFile(config, JSON.stringify({ ...JSON.parse(await readFile(config, "utf8")), crons: options.crons }));
  }
  const started: ClusterNode[] = [];
  for (let i = 0; i < count; i++) {
    const port = await closedPort();
    // Each node reaches Redis through a proxy of its own, so one node can be cut off alone (network.ts).
    const redisProxy = await startTcpProxy(redis.port);
    const args = nodeArgs(port, `redis://127.0.0.1:${redisProxy.port}`, postgres.url, options.leaseTtlS);
    started.push(new ClusterNode(port, args, project.dir, redisProxy));
  }
  // The first creates the schema; the others then start together.
  await started[0]!.start();
  await Promise.all(started.slice(1).map((node) => node.start()));
  const redisClient = createClient({ url: redis.url });
  redisClient.on("error", () => {});
  const pool = new pg.Pool({ connectionString: postgres.url, max: 1 });
  pool.on("error", () => {});
  removers.push(async () => {
    redisClient.destroy();
    await pool.end();
  });
  await redisClient.connect();
  return {
    dir: project.dir,
    redis,
    postgres,
    nodes: started,
    owner: async (room) => (await redisClient.get(`yparty:lease:${room}`))?.split(" ")[0],
    flushRedis: async () => {
      await redisClient.flushAll();
    },
    fence: async (room) => {
      const { rows } = await pool.query<{ fence: string }>("SELECT fence FROM rooms WHERE name = $1", [room]);
      return rows[0] ? Number(rows[0].fence) : undefined;
    },
    list: async (node) => {
      const result = await runCli(["list", "--json", "--url", node.url, "--token", TOKEN]);
      if (result.code !== 0) throw new Error(`yparty list failed (${result.code}): ${result.stderr}`);
      return JSON.parse(result.stdout) as Awaited<ReturnType<TestCluster["list"]>>;
    },
    node: (url) => {
      const found = started.find((node) => node.url === url);
      if (!found) throw new Error(`no node at ${url}`);
      return found;
    },
  };
}

/** Each run of the project's crons, in the order run: scheduled time, the process that ran it, the cron's name. */
export async function cronRuns(cluster: TestCluster): Promise<Array<{ at: number; pid: number; name: string }>> {
  const text = await readFile(path.join(cluster.dir, "cron-runs.log"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [, at, pid, name] = /^(\d+) (\d+) (.*)$/.exec(line)!;
      return { at: Number(at), pid: Number(pid), name: JSON.parse(name!) as string };
    });
}

export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  await waitFor(
    (async () => {
      while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 25));
    })(),
    what,
    ms,
  );
}
