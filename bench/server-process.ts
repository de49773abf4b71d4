/**
 * Starts one server under test in its own child process (so its CPU and RSS are its own), waits for its
 * ready line, and stops it by pid: SIGTERM (graceful, yparty flushes), then SIGKILL after a grace period.
 * Every started child is tracked so the harness can stop them all on error or Ctrl-C.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { BenchError, withTimeout } from "./errors.js";
import { TIMEOUTS } from "./limits.js";
import { READY_PREFIX } from "./servers/lifecycle.js";

/** Stderr lines kept for error messages. */
const STDERR_TAIL_LINES = 20;

const running = new Set<ServerProcess>();

export class ServerProcess {
  /** performance.now() when spawned and when the ready line arrived. */
  readonly spawnedAt = performance.now();
  readyAt = 0;
  port = 0;
  private readonly stderrTail: string[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderrTail.push(...chunk.split("\n").filter(Boolean));
      this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - STDERR_TAIL_LINES));
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new BenchError("ERR_SERVER_START", `${this.label}: no pid`);
    return this.child.pid;
  }

  /**
   * Spawns `node --import tsx bench/servers/<script> ...args` (or `node <bundle> ...args` for a prebuilt
   * entry, see ./servers/bundle.ts) and resolves once it printed its port.
   */
  static async start(label: string, entry: { script: string } | { bundle: string }, args: string[] = [], nodeFlags: string[] = []): Promise<ServerProcess> {
    const main = "bundle" in entry ? [entry.bundle] : ["--import", "tsx", fileURLToPath(new URL(`./servers/${entry.script}`, import.meta.url))];
    const child = spawn(process.execPath, [...nodeFlags, ...main, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_ENV: "production" },
    });
    const server = new ServerProcess(label, child);
    running.add(server);
    try {
      server.port = await withTimeout(server.waitForReady(), TIMEOUTS.serverStartMs, `${label} start`);
      server.readyAt = performance.now();
      return server;
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited in time. Safe to call twice. */
  async stop(): Promise<void> {
    running.delete(this);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    try {
      await withTimeout(this.exited, TIMEOUTS.serverStopMs, `${this.label} stop`);
    } catch {
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }

  /** The last lines the child wrote to stderr, for error messages. */
  get stderr(): string {
    return this.stderrTail.join("\n");
  }

  private waitForReady(): Promise<number> {
    return new Promise((resolve, reject) => {
      let buffered = "";
      this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        buffered += chunk;
        const line = buffered.split("\n").find((candidate) => candidate.startsWith(READY_PREFIX));
        if (line) resolve((JSON.parse(line.slice(READY_PREFIX.length)) as { port: number }).port);
      });
      this.child.once("exit", (code) =>
        reject(new BenchError("ERR_SERVER_EXIT", `${this.label} exited with ${code} before ready:\n${this.stderr}`)),
      );
    });
  }
}

/** Stops every child still running (error paths, signals). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}
