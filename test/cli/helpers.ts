import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const binPath = path.join(repoRoot, "bin", "yparty.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for a spawned CLI: no inherited admin settings, no colours. */
function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...extra };
  delete env.YPARTY_URL;
  if (!("YPARTY_ADMIN_TOKEN" in extra)) delete env.YPARTY_ADMIN_TOKEN;
  return env;
}

/** Runs `yparty ...args` to completion (bounded by `timeoutMs`). */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], { cwd: options.cwd ?? repoRoot, env: cliEnv(options.env), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`yparty ${args.join(" ")} did not finish in time.\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** A long-running `yparty dev|start`, with its output collected and waitable. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  private readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];

  /** `bin` runs another copy of the binary (an installed package's) instead of this repository's. */
  constructor(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; bin?: string } = {}) {
    this.child = spawn(process.execPath, [options.bin ?? binPath, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: cliEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const collect = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      this[stream] += chunk.toString();
      for (const wake of this.waiters.splice(0)) wake();
    };
    this.child.stdout!.on("data", collect("stdout"));
    this.child.stderr!.on("data", collect("stderr"));
    this.exited = new Promise((resolve) =>
      this.child.on("exit", (code) => {
        for (const wake of this.waiters.splice(0)) wake();
        resolve(code);
      }),
    );
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  /**
   * Resolves with the first match of `pattern` in the output (from `from` on); rejects on exit or timeout. `stream`
   * narrows it to stdout or stderr, whose own length is then the mark to pass as `from` (the output is stdout then
   * stderr, so stdout written later lands before an earlier mark).
   */
  async waitFor(pattern: RegExp, timeoutMs = 20_000, from = 0, stream: "output" | "stdout" | "stderr" = "output"): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this[stream].slice(from).match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`yparty exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${pattern}.\n${this.output}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for ${pattern}.\n${this.output}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The URL from the banner (or the JSON `yparty.ready` line), printed once the server is fully up. */
  async url(): Promise<string> {
    const match = await this.waitFor(/ready on (http:\/\/\S+)|"event":"yparty\.ready","url":"(http:\/\/[^"]+)"/);
    return match[1] ?? match[2]!;
  }

  /** Sends `signal` and resolves with the exit code (SIGKILL after `timeoutMs`). */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export async function tempDir(prefix = "yparty-cli-"): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A port nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A port another program holds on 127.0.0.1, answering each connection with `answer`; closed by `defer`. */
export async function heldPort(defer: (cleanup: () => unknown) => void, answer: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const holder = createServer((socket) => {
    sockets.add(socket);
    answer(socket);
  });
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  defer(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => holder.close(() => resolve()));
  });
  return (holder.address() as { port: number }).port;
}

/**
 * Copies a fixture project (a folder of `from`, test/cli/fixtures by default) into a temp folder with the repo's
 * node_modules linked, so tests can edit it.
 */
export async function copyFixture(name: string, from = path.join(repoRoot, "test", "cli", "fixtures")): Promise<{ dir: string; remove: () => Promise<void> }> {
  const { cp, symlink } = await import("node:fs/promises");
  const temp = await tempDir(`yparty-${name}-`);
  await cp(path.join(from, name), temp.dir, { recursive: true });
  await symlink(path.join(repoRoot, "node_modules"), path.join(temp.dir, "node_modules"), "dir");
  return temp;
}

/** Registers an afterEach that runs everything deferred during the test, last first. */
export function deferredCleanups(afterEachHook: (fn: () => Promise<void>) => void): (cleanup: () => unknown) => void {
  const cleanups: Array<() => unknown> = [];
  afterEachHook(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => void cleanups.push(cleanup);
}

/** A fixture copied to a temp folder and `yparty <command> --port 0` running in it, with both cleaned up. */
export async function serveFixture(defer: (cleanup: () => unknown) => void, command: "dev" | "start", fixture: string, args: string[] = [], from?: string) {
  const project = await copyFixture(fixture, from);
  defer(project.remove);
  return { dir: project.dir, ...(await serveIn(defer, command, project.dir, args)) };
}

/** `yparty <command> --port 0` in `dir`, stopped (SIGKILL if still running) after the test. */
export async function serveIn(defer: (cleanup: () => unknown) => void, command: "dev" | "start", dir: string, args: string[] = []) {
  const cli = new CliProcess([command, "--port", "0", ...args], { cwd: dir });
  defer(() => cli.stop("SIGKILL"));
  return { cli, url: await cli.url() };
}

/** `yparty start --port 0` in `dir` (its data folder `dir/.yparty`), with its URL and admin token; stopped by `defer`. */
export async function startIn(dir: string, defer: (cleanup: () => unknown) => void): Promise<{ cli: CliProcess; url: string; token: string }> {
  const cli = new CliProcess(["start", "--port", "0"], { cwd: dir });
  defer(() => cli.stop("SIGKILL"));
  const url = await cli.url();
  const { token } = JSON.parse(await readFile(path.join(dir, ".yparty", "server.json"), "utf8")) as { token: string };
  return { cli, url, token };
}

/** A project folder whose `.yparty` holds three documents (`main/kept-0..2`) in LevelDB tables; removed by `defer`. */
export async function folderWithTables(prefix: string, defer: (cleanup: () => unknown) => void): Promise<{ dir: string; folder: string; tables: string[] }> {
  const { openStorage } = await import("../../persistence/index.js");
  const Y = await import("yjs");
  const { dir, remove } = await tempDir(prefix);
  defer(remove);
  const folder = path.join(dir, ".yparty");
  const storage = await openStorage({ dir: folder });
  for (let i = 0; i < 3; i++) {
    const doc = new Y.Doc();
    doc.getText("t").insert(0, `kept ${i}`);
    await storage.docs.append(`main/kept-${i}`, Y.encodeStateAsUpdate(doc));
  }
  await storage.close();
  // A second open replays the write-ahead log into a table, as any restart does.
  await (await openStorage({ dir: folder })).close();
  const tables = (await readdir(folder)).filter((file) => file.endsWith(".ldb")).sort();
  if (tables.length === 0) throw new Error(`no LevelDB table in ${folder}`);
  return { dir, folder, tables };
}

/** Writes each `relative path → content` under `dir` (folders made as needed): a project in a few lines. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  const { mkdir, writeFile } = await import("node:fs/promises");
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

/** A temp project holding `files`, removed after the test by `defer`. */
export async function projectWith(defer: (cleanup: () => unknown) => void, files: Record<string, string>, prefix = "yparty-project-"): Promise<string> {
  const { dir, remove } = await tempDir(prefix);
  defer(remove);
  await writeFiles(dir, files);
  return dir;
}
