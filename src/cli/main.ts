/**
 * The `yparty` command: reads the command line and hands it to the command that runs it (serve, doctor/repair,
 * migrate, the admin commands), each loaded only when used so `--help` and usage errors start fast; turns errors meant
 * for the user into a message and an exit code.
 */
import type { LogLevel } from "../runtime/index.js";
import { parseInvocation, parseKeyValues, parsePort, type ParsedValues } from "./args.js";
import { commands, IGNORED_PARTYKIT_FLAGS, type CommandName } from "./commands.js";
import { CliDefaults } from "./defaults.js";
import { resolveProject } from "./config/resolve.js";
import { CliError, ExitCode, usageError } from "./errors.js";
import { ignoreBrokenPipes } from "./pipes.js";
import { commandHelp, mainHelp } from "./help.js";
import { packageVersion } from "./version.js";

const logLevels: readonly LogLevel[] = ["debug", "info", "warn", "error"];

const str = (values: ParsedValues, name: string) => values[name] as string | undefined;

async function serverCommand(command: "dev" | "start", positionals: string[], values: ParsedValues): Promise<number> {
  const logLevel = (str(values, "log-level") ?? "info") as LogLevel;
  if (!logLevels.includes(logLevel)) throw usageError(`--log-level must be one of ${logLevels.join(", ")}, got "${logLevel}".`);
  if (values.persist !== undefined && values["no-persist"] === true) throw usageError("--persist and --no-persist contradict each other.");
  if (values.store !== undefined && (values.persist !== undefined || values["no-persist"] === true)) {
    throw usageError(
      `--store and --${values.persist !== undefined ? "persist" : "no-persist"} both say where the data lives: pass one (--store postgres://…: PostgreSQL; --persist <dir>: a LevelDB folder).`,
    );
  }
  const port = str(values, "port");
  const project = resolveProject({
    cwd: process.cwd(),
    dev: command === "dev",
    ...(str(values, "config") !== undefined ? { config: str(values, "config") } : {}),
    ...(positionals[0] !== undefined ? { entry: positionals[0] } : {}),
    ...(port !== undefined ? { port: parsePort(port, "--port") } : {}),
    ...(str(values, "host") !== undefined ? { host: str(values, "host") } : {}),
    ...(str(values, "persist") !== undefined ? { persist: str(values, "persist") } : {}),
    noPersist: values["no-persist"] === true,
    ...(str(values, "store") !== undefined ? { store: str(values, "store") } : {}),
    ...(str(values, "query-timeout") !== undefined ? { queryTimeout: str(values, "query-timeout") } : {}),
    vars: parseKeyValues("var", values.var as string[] | undefined),
    define: parseKeyValues("define", values.define as string[] | undefined),
    withEnv: values["with-env"] === true,
    minify: values.minify === true,
    ignoredFlags: IGNORED_PARTYKIT_FLAGS.filter((flag) => values[flag] !== undefined),
    ...(str(values, "name") !== undefined ? { name: str(values, "name") } : {}),
    ...(str(values, "serve") !== undefined ? { serve: str(values, "serve") } : {}),
    ...(values["trust-proxy"] === true ? { trustProxy: true } : {}),
    cluster: {
      ...(str(values, "cluster") !== undefined ? { cluster: str(values, "cluster") } : {}),
      ...(str(values, "advertise") !== undefined ? { advertise: str(values, "advertise") } : {}),
      ...(str(values, "lease-ttl") !== undefined ? { leaseTtl: str(values, "lease-ttl") } : {}),
    },
  });
  const adminToken = str(values, "admin-token") ?? process.env.YPARTY_ADMIN_TOKEN;
  if (adminToken && adminToken.length < CliDefaults.minAdminTokenLength) {
    throw new CliError(
      "ERR_USAGE",
      `--admin-token (or $YPARTY_ADMIN_TOKEN) is ${adminToken.length} characters; it needs at least ${CliDefaults.minAdminTokenLength}: it reads, exports and deletes every document. Leave it out to have one generated, or make one with \`openssl rand -base64 24\`.`,
    );
  }
  // Loaded on demand: `--help` and usage errors answer without loading the runtime or esbuild.
  const { runServer } = await import("./serve/run.js");
  return runServer({ command, project, logLevel, ...(adminToken ? { adminToken } : {}) });
}

/** `doctor` / `repair`: offline, on the data folder a server started here would use. */
async function folderCommand(command: "doctor" | "repair", values: ParsedValues): Promise<number> {
  const { candidates, configStore } = await import("./admin/discover.js");
  const persist = str(values, "persist");
  const config = str(values, "config");
  const stored = persist === undefined ? configStore(process.cwd(), config) : undefined;
  if (stored)
    throw usageError(
      `yparty ${command}: this project stores its data in PostgreSQL ("store" in ${stored.file}), and ${command} checks a LevelDB data folder. ` +
        `PostgreSQL checks its own data (pg_amcheck); pass --persist <dir> to ${command} a folder.`,
    );
  // The folder a server started here would use (the first place the admin commands look), never a guess further off.
  const [folder] = candidates(process.cwd(), { ...(persist !== undefined ? { persist } : {}), ...(config !== undefined ? { config } : {}) });
  if (!folder) throw usageError(`yparty ${command}: this project keeps no data folder (persist: false); pass --persist <dir>.`);
  const dir = folder.dir;
  if (command === "doctor") return (await import("./doctor.js")).doctorCommand({ dir });
  return (await import("./repair.js")).repairCommand({ dir });
}

/** `migrate`: a LevelDB folder to PostgreSQL, both offline. */
async function migrateCommand(values: ParsedValues): Promise<number> {
  const from = str(values, "from");
  const to = str(values, "to");
  if (from === undefined || to === undefined) throw usageError("yparty migrate needs --from <leveldb folder> and --to postgres://….");
  const { isPostgresUrl } = await import("../../persistence/pg/url.js");
  if (!isPostgresUrl(to)) throw usageError(`yparty migrate: --to must be a PostgreSQL URL (postgres://user@host:5432/database), got "${to}".`);
  const path = await import("node:path");
  return (await import("./migrate.js")).migrateCommand({ from: path.resolve(from), to });
}

async function adminCommand(
  command: Exclude<CommandName, "dev" | "start" | "doctor" | "repair" | "migrate">,
  positionals: string[],
  values: ParsedValues,
): Promise<number> {
  const { findServer } = await import("./admin/client.js");
  const { checkRoomCommand, deleteCommand, exportCommand, listCommand, tailCommand } = await import("./admin/commands.js");
  // A usage mistake is told as one (exit 2) whether or not a server runs.
  if (command === "export" || command === "delete") checkRoomCommand(command, positionals[0]!, str(values, "format") ?? "json");
  const target = await findServer({
    cwd: process.cwd(),
    env: process.env,
    ...(str(values, "url") !== undefined ? { url: str(values, "url") } : {}),
    ...(str(values, "token") !== undefined ? { token: str(values, "token") } : {}),
    ...(str(values, "persist") !== undefined ? { persist: str(values, "persist") } : {}),
    ...(str(values, "config") !== undefined ? { config: str(values, "config") } : {}),
  });
  const json = values.json === true;
  if (command === "list") await listCommand(target, json);
  else if (command === "tail") await tailCommand(target, json);
  else if (command === "delete") await deleteCommand(target, positionals[0]!, values.yes === true);
  else await exportCommand(target, positionals[0]!, str(values, "format") ?? "json", str(values, "output"));
  return ExitCode.Ok;
}

/** Runs the CLI; resolves with the exit code. Errors meant for the user are printed without a stack. */
export async function main(argv: string[]): Promise<number> {
  ignoreBrokenPipes();
  try {
    const invocation = parseInvocation(argv);
    if (invocation.kind === "version") {
      process.stdout.write(`${packageVersion()}\n`);
      return ExitCode.Ok;
    }
    if (invocation.kind === "help") {
      // `yparty` alone is a usage mistake (scripts must not take it for success): help on stderr, exit 2.
      if (invocation.missingCommand) {
        process.stderr.write(mainHelp(packageVersion()));
        return ExitCode.Usage;
      }
      process.stdout.write(invocation.command ? commandHelp(commands[invocation.command]) : mainHelp(packageVersion()));
      return ExitCode.Ok;
    }
    const { command, positionals, values } = invocation;
    if (command === "dev" || command === "start") return await serverCommand(command, positionals, values);
    if (command === "doctor" || command === "repair") return await folderCommand(command, values);
    if (command === "migrate") return await migrateCommand(values);
    return await adminCommand(command, positionals, values);
  } catch (error) {
    if (error instanceof CliError) {
      // A message that names its command ("yparty start: …") already says who speaks.
      process.stderr.write(/^yparty[ :]/.test(error.message) ? `${error.message}\n` : `yparty: ${error.message}\n`);
      return error.exitCode;
    }
    const detail = error instanceof Error ? (process.env.YPARTY_DEBUG ? error.stack : `${error.message} (set YPARTY_DEBUG=1 for the stack)`) : String(error);
    process.stderr.write(`yparty: unexpected failure: ${detail}\n`);
    return ExitCode.Failure;
  }
}
