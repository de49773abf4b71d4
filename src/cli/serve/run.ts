/**
 * `yparty dev` / `yparty start` from start to exit: the startup in order (secrets withdrawn, port claimed, builds,
 * cluster joined, server created and listening, admin file written), each step undone if a later one fails or a
 * signal comes, then the graceful shutdown's exit code.
 */
import { createLogger, createServer, type AssetHandler, type LogLevel, type Logger, type YpartyServer } from "../../runtime/index.js";
import { updateToJson } from "../admin/export.js";
import { blockedPort, blockedPortAdvice } from "../blocked-ports.js";
import { adminHandler } from "../admin/handler.js";
import { generateToken, readAdminFile, removeAdminFile, writeAdminFile } from "../admin/token.js";
import type { ProjectConfig } from "../config/resolve.js";
import { CliError } from "../errors.js";
import { heldByYparty, type StorageError } from "../../../persistence/index.js";
import { staticFiles } from "../static.js";
import type { AssetBuilder } from "./assets.js";
import { banner } from "./banner.js";
import { showCommandLine, withdrawOwnSecrets } from "./own-secrets.js";
import { claimPort } from "./port-claim.js";
import { joinCluster } from "./cluster.js";
import { createPartySource, type PartySource } from "./parties.js";
import { onShutdownSignal, runAll } from "./shutdown.js";
import { exitOnUncaughtException, logUnhandledRejections } from "./unhandled.js";

export interface RunOptions {
  command: "dev" | "start";
  project: ProjectConfig;
  adminToken?: string;
  logLevel: LogLevel;
}

/** A Node file system error (ENOENT, EACCES, EROFS, ENOSPC…), as opposed to one of LevelDB's. */
const isFileSystemError = (error: unknown): boolean =>
  typeof (error as { code?: unknown })?.code === "string" && /^E[A-Z]+$/.test((error as { code: string }).code);

/** How a failure to listen or open storage reads to a person. */
async function startupError(error: unknown, project: ProjectConfig): Promise<unknown> {
  const code = (error as { code?: string }).code;
  if (code === "EADDRINUSE") {
    const { portHolder, portInUseMessage } = await import("./port-holder.js");
    const holder = await portHolder(reachableHost(project.host), project.port, process.cwd());
    return new CliError("ERR_LISTEN", portInUseMessage(project.host, project.port, holder));
  }
  if (code === "EACCES") {
    return new CliError(
      "ERR_LISTEN",
      `Not allowed to listen on ${project.host}:${project.port} (EACCES). Ports below 1024 need privileges: pass --port 1999 or another free port.`,
    );
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new CliError(
      "ERR_USAGE",
      `--host ${project.host} is not an address of this machine (${code}). Use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).`,
    );
  }
  if (project.store && typeof code === "string" && code.startsWith("ERR_STORAGE")) {
    // PostgreSQL: the message names the URL (without its password), why, and what to do; then where the URL was set.
    return new CliError(code === "ERR_STORAGE_LOCKED" ? "ERR_LISTEN" : "ERR_USAGE", `${(error as Error).message} (${project.storeOrigin})`);
  }
  if (code === "ERR_STORAGE_CORRUPT" || code === "ERR_STORAGE_FORMAT" || code === "ERR_STORAGE_NOT_WRITABLE" || code === "ERR_STORAGE_FULL") {
    // A data folder LevelDB cannot open as it is (on a full disk: how much room it takes), or one a newer yparty wrote:
    // the message says what to do.
    return new CliError("ERR_STORAGE", (error as Error).message);
  }
  if (code === "ERR_STORAGE_READ" && !project.store && isFileSystemError((error as Error).cause)) {
    // The data folder could not be made or opened (a read-only or special file system, no permission, a full disk).
    return new CliError("ERR_STORAGE", `${(error as Error).message}. Pass --persist a folder this user can create and write to.`);
  }
  if (code === "ERR_STORAGE_LOCKED") {
    // The storage layer's message already says what to do; the flag is the CLI's part.
    // Most often the same project started twice: its server.json says where the first one already serves.
    // (not when the storage named a program that is not yparty: server.json is then a stopped server's)
    const holder = project.persist && heldByYparty(error as StorageError) ? await readAdminFile(project.persist.dir) : undefined;
    const which = holder ? ` It is pid ${holder.pid}, serving ${holder.url}.` : "";
    // The flag goes with the advice it serves, which is not always the message's last (a backup's advice follows it).
    const advice = (error as Error).message.replace("with a different data folder", "with a different data folder: --persist <dir>");
    return new CliError("ERR_LISTEN", `${advice}.${which}`);
  }
  return error;
}

/** Where a client on this machine reaches a server bound to `host`: not a wildcard address, which browsers refuse. */
function reachableHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "[::]") return "127.0.0.1";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** The `serve` folder (never the data folder in it): served for paths nothing else answers, and to `lobby.assets.fetch(path)`. */
function assetsFor(project: ProjectConfig): { assets?: AssetHandler } {
  if (!project.serve) return {};
  const { path: root, singlePageApp, browserTTL } = project.serve;
  return { assets: staticFiles({ root, singlePageApp, browserTTL, hidden: project.persist ? [project.persist.dir] : [] }) };
}

/** What is undone at the end: `cleanups` on a shutdown, `lastWords` (fewer: what is safe after a crash) on an uncaught exception. */
interface Undo {
  cleanups: Array<() => Promise<void>>;
  lastWords: Array<() => Promise<void>>;
}

/** Starts everything that must be ready before the first request; undoes it all if a later step fails. */
async function startServer(options: RunOptions, logger: Logger, { cleanups, lastWords }: Undo, stopping: AbortSignal) {
  const { project, command } = options;
  const color = process.stdout.isTTY === true;
  // PartyKit puts .env into the server code's process.env; here the real environment wins, as with dotenv.
  for (const [key, value] of Object.entries(project.dotenv)) process.env[key] ??= value;
  // Before any project code runs: yparty's own secrets are not the party code's (own-secrets.ts).
  const withdrawn = withdrawOwnSecrets({ adminToken: options.adminToken, storeUrl: project.store?.url, redisUrl: project.cluster?.redis });
  if (withdrawn.variables.length > 0)
    logger.info("env.withdrawn", { variables: withdrawn.variables.join(","), why: "yparty's own secrets: not in party code's process.env" });
  // `ps` reads the arguments the process started with, not process.argv: a --store password was there for any user.
  if (withdrawn.maskedArguments) showCommandLine();
  const store = project.store && { ...project.store, ...(withdrawn.storePassword !== undefined ? { password: withdrawn.storePassword } : {}) };
  // Before the build: a port in use fails the start now, not after seconds of building (port-claim.ts).
  const claimed = await claimPort(project.host, project.port).catch(async (error: unknown) => Promise.reject(await startupError(error, project)));
  cleanups.push(claimed.release);
  const port = claimed.port;
  // What only some projects need (a build command, a client bundle, `dev`'s watcher) is loaded only for them.
  if (project.build) await (await import("./build-command.js")).runBuildCommand(project.build.command, project.build.cwd, stopping);
  stopping.throwIfAborted();
  const define = { PARTYKIT_HOST: JSON.stringify(`${reachableHost(project.host)}:${port}`), ...project.define };
  const source: PartySource = await createPartySource(project, define, color);
  cleanups.push(() => source.dispose());
  const first = await source.rebuild();
  stopping.throwIfAborted();
  if (!first.ok) throw new CliError("ERR_BUILD", first.message);
  first.warnings.forEach((text) => process.stderr.write(text));
  if (project.serve?.build) {
    const report = (text: string, ok: boolean) => (ok ? logger.debug("client.rebuilt") : process.stderr.write(`${text}\n`));
    const { buildAssets } = await import("./assets.js");
    const assets: AssetBuilder = await buildAssets(project.serve.build, project.root, define, { watch: command === "dev", report, color });
    cleanups.push(() => assets.dispose());
    // The client build takes a while (the demo's: a second or so): a Ctrl-C meanwhile opens no storage, binds no port.
    stopping.throwIfAborted();
  }
  const cluster = project.cluster ? await joinCluster(project.cluster, options.adminToken, logger, () => server.storage) : undefined;
  // Left after the server closed (its rooms released their leases as they unloaded).
  if (cluster) cleanups.push(() => cluster.close());
  // After a crash too: its leases and node key given up, its rooms move at once (not a TTL later).
  if (cluster) lastWords.push(() => cluster.close());
  const token = options.adminToken ?? generateToken();
  const admin = adminHandler({ token, updateToJson, ...(cluster ? { cluster: cluster.admin } : {}) });
  let server: YpartyServer;
  try {
    server = createServer({
      parties: first.parties,
      port,
      host: project.host,
      // A cluster node writes only the rooms it claimed, its advertise address in their rows (docs/persistence.md).
      ...(store ? { store: cluster ? { ...store, mode: "cluster" as const, owner: project.cluster!.advertise } : store } : { persist: project.persist }),
      vars: project.vars,
      logger,
      routes: [admin.route, ...source.routes],
      ...assetsFor(project),
      crons: project.crons,
      listRooms: project.listRooms,
      durability: project.durability,
      documentLimits: project.documentLimits,
      trustProxy: project.trustProxy,
      sockets: source.sockets,
      limits: project.limits,
      ...(cluster ? { placement: cluster.placement } : {}),
    });
    await claimed.release();
    // A storage that never answers (a --store behind a route dropping packets) holds listen() until it gives up: a
    // signal meanwhile goes on with the shutdown at once, whose cleanups (the cluster's node key and leases) then run
    // well within its timeout.
    await abortable(server.listen(), stopping);
  } catch (error) {
    throw await startupError(error, project);
  }
  // Two steps, so a failure to end the log streams cannot skip closing the server (rooms flushed, storage closed).
  cleanups.unshift(
    async () => admin.close(),
    () => server.close(),
  );
  const adminFile = project.persist ? await writeAdminFile(project.persist.dir, { url: server.url, token, pid: process.pid }) : undefined;
  if (project.persist) cleanups.push(() => removeAdminFile((project.persist as { dir: string }).dir, token));
  return { server, source, token, adminFile };
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts (what `promise` does then is not waited for). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

/** What the startup's race gives when the shutdown ended first. */
const SHUT_DOWN = Symbol("shut down");

/**
 * `yparty dev` / `yparty start`: builds, serves, and on SIGINT/SIGTERM closes gracefully (every room flushed)
 * before resolving with the exit code.
 */
export async function runServer(options: RunOptions): Promise<number> {
  const { project, command } = options;
  const json = command === "start" && !process.stdout.isTTY;
  const logger = createLogger({ json, level: options.logLevel, write: (line) => void process.stdout.write(`${line}\n`) });
  for (const note of project.notes) logger.info("config.note", { note });
  logUnhandledRejections(logger); // for the life of the process, its shutdown included
  const cleanups: Array<() => Promise<void>> = [];
  const lastWords: Array<() => Promise<void>> = [];
  exitOnUncaughtException(logger, lastWords);
  const runCleanups = () => runAll(cleanups.splice(0), logger);
  // Signals are handled from the start: one that arrives during startup stops the build command at once, skips
  // what is left of the startup (no server is started), then closes what was opened, like any other shutdown.
  const stopping = new AbortController();
  const startup = startServer(options, logger, { cleanups, lastWords }, stopping.signal);
  const exitCode = onShutdownSignal(logger, async () => {
    stopping.abort(new Error("stopped by a signal during startup"));
    await startup.catch(() => {});
    return runCleanups();
  });
  let started: Awaited<typeof startup> | typeof SHUT_DOWN;
  try {
    // A shutdown that ends first (a second Ctrl-C, its timeout) ends the process, even while a startup step hangs.
    started = await Promise.race([startup, exitCode.then((): typeof SHUT_DOWN => SHUT_DOWN)]);
  } catch (error) {
    // Cut short by a signal: its shutdown runs the cleanups and gives the exit code.
    if (stopping.signal.aborted) return exitCode;
    await runCleanups();
    throw error;
  }
  if (started === SHUT_DOWN) return exitCode;
  const { server, source, token, adminFile } = started;
  const info = {
    command,
    ...(project.name ? { name: project.name } : {}),
    url: server.url,
    parties: source.description,
    persist: project.persist,
    ...(project.store ? { store: server.storage.location } : {}),
    adminToken: token,
    ...(adminFile ? { adminFile } : {}),
    ...(project.serve ? { serve: project.serve.path } : {}),
  };
  // Watch before saying "ready": a change saved right after the banner must not be missed.
  if (command === "dev") {
    const { startDevReloader } = await import("./reloader.js");
    const reloader = startDevReloader({ source, server, logger, project });
    cleanups.unshift(async () => reloader.close());
  }
  if (json)
    logger.info("yparty.ready", {
      url: server.url,
      ...(project.name ? { name: project.name } : {}),
      parties: source.description,
      data: project.store ? server.storage.location : project.persist ? project.persist.dir : "memory",
    });
  else process.stdout.write(banner(info));
  const blocked = blockedPort(server.url);
  if (blocked !== undefined) logger.warn("server.port_blocked", { port: blocked, message: blockedPortAdvice(blocked) });
  // The other nodes forward rooms over plain TCP, but ask this one for `yparty list` and the admin commands with fetch().
  const advertised = project.cluster && blockedPort(project.cluster.advertise);
  if (advertised)
    logger.warn("cluster.advertise_port_blocked", {
      port: advertised,
      message: `--advertise ${project.cluster!.advertise}: port ${advertised} is one fetch() refuses to connect to (a "bad port" of the Fetch standard), so the other nodes cannot ask this one for yparty list, tail, delete or export (its rooms are still served through them). Advertise another port`,
    });
  return exitCode;
}
