/**
 * Starts one server under test in its own child process (so its CPU and RSS are its own), waits for its
 * ready line, and stops it by pid: SIGTERM (graceful, yparty flushes), then SIGKILL after a grace period.
 * Every started child is tracked so the harness can stop them all on error or Ctrl-C.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { BenchError, withTimeout } from "./errors.js";
import { TIMEOUTS } from "./limits.js";
import { announcedPort } from "./servers/lifecycle.js";

/** Stderr lines kept for error messages. */
const STDERR_TAIL_LINES = 20;

const running = new Set<ServerProcess>();

/** How to start one server child: `node <argv>` in `cwd`, ready once a stdout line gives its port. */
export interface ChildCommand {
  argv: string[];
  cwd?: string;
  /** The port a ready line announces; undefined for every other line. */
  readyPort(line: string): number | undefined;
}

/** `node [flags] <main> ...args` for a child under bench/servers/ (main: `--import tsx <script>`, or its bundle). */
export function scriptCommand(script: string, args: string[] = [], flags: string[] = [], bundle?: string): ChildCommand {
  const main = bundle ? [bundle] : ["--import", "tsx", fileURLToPath(new URL(`./servers/${script}`, import.meta.url))];
  return { argv: [...flags, ...main, ...args], readyPort: announcedPort };
}

export class ServerProcess {
  /** performance.now() just before the spawn, and when the ready line arrived. */
  spawnedAt = 0;
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

  /** Spawns the child (see ../target.ts for what each server runs) and resolves once it announced its port. */
  static async start(label: string, command: ChildCommand): Promise<ServerProcess> {
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, command.argv, {
      stdio: ["ignore", "pipe", "pipe"],
      ...(command.cwd ? { cwd: command.cwd } : {}),
      env: { ...process.env, NODE_ENV: "production" },
    });
    const server = new ServerProcess(label, child);
    server.spawnedAt = spawnedAt;
    running.add(server);
    try {
      server.port = await withTimeout(server.waitForReady(command.readyPort), TIMEOUTS.serverStartMs, `${label} start`);
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

  private waitForReady(readyPort: ChildCommand["readyPort"]): Promise<number> {
    return new Promise((resolve, reject) => {
      let buffered: string | undefined = "";
      // Read to the end (a full pipe would block the child's logging), but look for the port only until found.
      this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        if (buffered === undefined) return;
        const lines = (buffered + chunk).split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) {
          const port = readyPort(line);
          if (port === undefined) continue;
          buffered = undefined;
          return resolve(port);
        }
      });
      this.child.once("exit", (code) => reject(new BenchError("ERR_SERVER_EXIT", `${this.label} exited with ${code} before ready:\n${this.stderr}`)));
    });
  }
}

/** Stops every child still running (error paths, signals). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}
