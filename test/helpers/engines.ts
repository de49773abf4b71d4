/**
 * Throwaway database engines for the cluster tests: Debian's `redis-server` and PostgreSQL (15 on Debian 12: the newest
 * in /usr/lib/postgresql, or the folder in YPARTY_POSTGRES_BIN), each a real server on a free loopback port in its own
 * temp folder, started as a child process and stopped by its pid. .ci/run installs both when missing.
 *
 *   startRedis()    → Engine, url `redis://127.0.0.1:PORT`. No persistence: a restart comes back empty, as a
 *                     Redis without AOF/RDB does (the cluster may depend on nothing Redis keeps).
 *   startPostgres() → Engine, url `postgres://postgres@127.0.0.1:PORT/yparty` (trust auth, database `yparty`).
 *                     fsync and synchronous_commit stay on (a commit is durable); only what cannot lose a commit is
 *                     made cheaper. Runs as the `postgres` user when the tests run as root (PostgreSQL refuses root).
 *   Engine: { url, port, pid, dir, output, stop(how?), start(), restart(how?), cleanup() }
 *     stop("graceful" | "crash"): graceful is SIGTERM for Redis and a fast shutdown (SIGINT) for PostgreSQL;
 *       crash is SIGKILL for Redis and an immediate shutdown (SIGQUIT: no checkpoint, recovery on the next start)
 *       for PostgreSQL. Resolves when the process has exited (its port is free, its pid gone).
 *     start() after stop() runs the server again on the same port and folder (an outage of any length);
 *     restart(how) is stop(how) + start(). cleanup() stops and removes the folder.
 *   stopAllEngines() — cleanup() of every engine still running (afterAll/afterEach).
 *   processTree(pid) — pid and its live descendants (PostgreSQL forks a process per role and per connection).
 *   isRunning(pid)   — whether a live (not zombie) process has that pid.
 *
 * Readiness is the server's own log line, with a timeout naming the engine and quoting its last output; no sleeps.
 * PostgreSQL's initdb runs once per machine: its result stays in the temp folder as a template each engine copies
 * (`yparty-postgres-template-<version>-…`, about 25 MB; delete it any time).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chown, mkdtemp, readdir, readFile, rename, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export type StopHow = "graceful" | "crash";

export interface Engine {
  readonly url: string;
  readonly port: number;
  /** The server process; a new pid after start()/restart(). */
  readonly pid: number;
  readonly dir: string;
  /** Everything the server printed, across restarts (its log). */
  readonly output: string[];
  stop(how?: StopHow): Promise<void>;
  start(): Promise<void>;
  restart(how?: StopHow): Promise<void>;
  cleanup(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const POSTGRES_BIN = process.env.YPARTY_POSTGRES_BIN ?? debianPostgresBin();
const POSTGRES_INSTALL = "Debian: apt-get install postgresql, or set YPARTY_POSTGRES_BIN; .ci/run installs it";
const DATABASE = "yparty";
/** Bumped when the template's initdb options or contents change: older templates are then left unused. */
const TEMPLATE_FORMAT = "v1";

const run = promisify(execFile);
const engines = new Set<Engine>();
// Servers still running when a script exits without stopping them are killed with it. (A vitest worker may be ended
// without an "exit" event: tests call stopAllEngines in afterEach.)
const liveServers = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of liveServers) child.kill("SIGKILL");
});

/** What differs between engines: how to run one, how it says it is ready, which signal stops it. */
interface EngineSpec {
  name: string;
  command: string;
  args(port: number): string[];
  ready: RegExp;
  signals: Record<StopHow, NodeJS.Signals>;
  /** What to do when the command is missing. */
  install: string;
  /** The user to run as (PostgreSQL when the tests run as root). */
  user?: { uid: number; gid: number };
  url(port: number): string;
}

export async function startRedis(): Promise<Engine> {
  const dir = await mkdtemp(join(tmpdir(), "yparty-redis-"));
  return startEngine(dir, {
    name: "redis-server",
    command: "redis-server",
    // --save "" and no AOF: nothing survives a restart. --logfile "": the log goes to stdout, where we read it.
    args: (port) => [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
      "--logfile",
      "",
      "--protected-mode",
      "no",
      "--loglevel",
      "notice",
    ],
    ready: /Ready to accept connections/,
    signals: { graceful: "SIGTERM", crash: "SIGKILL" },
    install: "Debian: apt-get install redis-server; .ci/run does it",
    url: (port) => `redis://127.0.0.1:${port}`,
  });
}

export async function startPostgres(): Promise<Engine> {
  const user = await postgresUser();
  const template = await postgresTemplate(user);
  const dir = await mkdtemp(join(tmpdir(), "yparty-postgres-"));
  const data = join(dir, "data");
  try {
    if (user) await chown(dir, user.uid, user.gid);
    // A copy of the machine's template data folder; cp -a keeps its owner and mode 0700.
    await run("cp", ["-a", template, data]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return startEngine(dir, {
    name: "postgres",
    command: join(POSTGRES_BIN, "postgres"),
    args: (port) => [
      "-D",
      data,
      "-p",
      String(port),
      ...settings({
        listen_addresses: "127.0.0.1",
        unix_socket_directories: dir,
        // Durability as in production: every COMMIT is on disk before it returns.
        fsync: "on",
        synchronous_commit: "on",
        full_page_writes: "on",
        // Cheaper where no commit can be lost: no replication, small memory, no timed checkpoints during a test.
        wal_level: "minimal",
        max_wal_senders: "0",
        shared_buffers: "32MB",
        max_connections: "50",
        checkpoint_timeout: "30min",
        max_wal_size: "1GB",
        timezone: "UTC",
        // After a crash PostgreSQL syncs its whole folder before recovery: one syncfs() instead of an fsync per file
        // (2 s → 0.2 s here, as the copied template is still dirty in the page cache). Just as durable.
        recovery_init_sync_method: "syncfs",
      }),
    ],
    ready: /database system is ready to accept connections/,
    signals: { graceful: "SIGINT", crash: "SIGQUIT" },
    install: POSTGRES_INSTALL,
    ...(user ? { user } : {}),
    url: (port) => `postgres://postgres@127.0.0.1:${port}/${DATABASE}`,
  });
}

export async function stopAllEngines(): Promise<void> {
  await Promise.all([...engines].map((engine) => engine.cleanup()));
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  return processState(pid) !== "Z";
}

export async function processTree(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid) parents.set(Number(entry), ppid);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  }
  return tree.filter(isRunning);
}

async function startEngine(dir: string, spec: EngineSpec): Promise<Engine> {
  const output: string[] = [];
  let port = await freePort();
  let child: ChildProcess | undefined;
  // The port was free a moment ago; another process may take it first. Only the first start picks again:
  // a restart keeps its port, as clients hold the URL.
  for (let attempt = 1; ; attempt++) {
    try {
      child = await launch(spec, port, output);
      break;
    } catch (error) {
      if (attempt === 3 || !/already in use|could not bind/i.test(output.join("\n"))) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
      port = await freePort();
    }
  }
  let stopping: Promise<void> | undefined;
  const engine: Engine = {
    url: spec.url(port),
    port,
    get pid() {
      return requireRunning(child, spec).pid!;
    },
    dir,
    output,
    stop: (how = "graceful") => {
      if (!child) return Promise.resolve();
      const current = child;
      stopping ??= stopProcess(current, spec.signals[how]).finally(() => {
        if (child === current) child = undefined;
        stopping = undefined;
      });
      return stopping;
    },
    start: async () => {
      await stopping;
      if (child && child.exitCode === null && child.signalCode === null) {
        throw new Error(`${spec.name} on port ${port} is already running (pid ${child.pid})`);
      }
      child = await launch(spec, port, output);
    },
    restart: async (how = "graceful") => {
      await engine.stop(how);
      await engine.start();
    },
    cleanup: async () => {
      await engine.stop();
      engines.delete(engine);
      await rm(dir, { recursive: true, force: true });
    },
  };
  engines.add(engine);
  return engine;
}

/** Spawns the server and resolves once it logs that it is ready; rejects if it exits or stays silent too long. */
function launch(spec: EngineSpec, port: number, output: string[]): Promise<ChildProcess> {
  const child = spawn(spec.command, spec.args(port), {
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C", LC_ALL: "C" },
    cwd: tmpdir(),
    ...spec.user,
  });
  liveServers.add(child);
  child.once("exit", () => liveServers.delete(child));
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${spec.name} on port ${port} ${why}; its last output:\n${output.slice(-15).join("\n")}`));
    };
    const timer = setTimeout(() => fail(`was not ready within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    const onLine = (line: string) => {
      output.push(line);
      if (spec.ready.test(line)) {
        clearTimeout(timer);
        child.off("exit", onEarlyExit);
        resolve(child);
      }
    };
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited before it was ready (${signal ?? `code ${code}`})`);
    child.once("exit", onEarlyExit);
    child.once("error", (error: NodeJS.ErrnoException) => fail(`could not be started: ${error.message}${error.code === "ENOENT" ? ` (${spec.install})` : ""}`));
    readLines(child.stdout!, onLine);
    readLines(child.stderr!, onLine);
  });
}

function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // A server that ignores its stop signal is killed: a test must never leave a process behind.
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop()!;
    for (const line of lines) onLine(line);
  });
}

function requireRunning(child: ChildProcess | undefined, spec: EngineSpec): ChildProcess {
  if (!child) throw new Error(`${spec.name} is stopped: it has no pid`);
  return child;
}

function settings(values: Record<string, string>): string[] {
  return Object.entries(values).flatMap(([name, value]) => ["-c", `${name}=${value}`]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

let templateFolder: Promise<string> | undefined;

/**
 * A data folder made by initdb with the `yparty` database in it (about 2 s), kept in the temp folder under a name
 * holding the PostgreSQL version, so test processes after the first only copy it (about 0.1 s). Built aside and
 * renamed into place: of two processes building it at once, one wins and the other uses its folder.
 */
function postgresTemplate(user: { uid: number; gid: number } | undefined): Promise<string> {
  return (templateFolder ??= (async () => {
    const { stdout } = await run(join(POSTGRES_BIN, "postgres"), ["--version"]).catch((error: Error) => {
      throw new Error(`PostgreSQL is not at ${POSTGRES_BIN} (${POSTGRES_INSTALL}): ${error.message}`);
    });
    const version = /\d+(\.\d+)*/.exec(stdout)?.[0] ?? "unknown";
    // The owner is in the name too: a folder of mode 0700 is only for the user who made it.
    const owner = user?.uid ?? process.getuid?.() ?? 0;
    const template = join(tmpdir(), `yparty-postgres-template-${version}-${TEMPLATE_FORMAT}-uid${owner}`);
    if (existsSync(join(template, "PG_VERSION"))) return template;
    const building = await mkdtemp(join(tmpdir(), "yparty-postgres-building-"));
    try {
      if (user) await chown(building, user.uid, user.gid);
      const data = join(building, "data");
      const as = { cwd: building, ...user };
      // No fsync while making a folder that is copied, never crashed. Trust auth: servers listen on loopback only.
      // 1 MB WAL segments instead of 16: less to copy per engine.
      await run(
        join(POSTGRES_BIN, "initdb"),
        ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--wal-segsize=1", "--no-sync", "--no-instructions"],
        as,
      );
      const singleUser = ["--single", "-F", "-D", data, "postgres"];
      await runWithInput(join(POSTGRES_BIN, "postgres"), singleUser, `CREATE DATABASE ${DATABASE};\n`, as);
      await rename(data, template).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
      });
      return template;
    } finally {
      await rm(building, { recursive: true, force: true });
    }
  })());
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user the Debian package creates. */
async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const { stdout } = await run("id", ["postgres"]).catch(() => {
    throw new Error("tests run as root and there is no `postgres` user to run PostgreSQL as (apt-get install postgresql)");
  });
  const uid = /uid=(\d+)/.exec(stdout)?.[1];
  const gid = /gid=(\d+)/.exec(stdout)?.[1];
  return { uid: Number(uid), gid: Number(gid) };
}

/** Debian keeps PostgreSQL's server binaries off PATH, in /usr/lib/postgresql/<major>/bin: the newest one. */
function debianPostgresBin(): string {
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root) ? readdirSync(root).filter((name) => existsSync(join(root, name, "bin", "initdb"))) : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  // Missing: a clear error at the first start (spawn ENOENT names the path), and .ci/run installs it.
  return join(root, newest ?? "15", "bin");
}

function runWithInput(command: string, args: string[], input: string, options: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, options, (error, _stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(" ")} failed: ${stderr}`)) : resolve(),
    );
    child.stdin!.end(input);
  });
}
