import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { CliDefaults } from "../defaults.js";
import { CliError } from "../errors.js";
import { parseDotenv } from "./dotenv.js";
import { findConfigFile, readConfigFile, readEnvFiles } from "./read.js";
import { parseCron } from "../../runtime/cron-expression.js";
import { DEFAULT_ROOMS_PATH } from "../../rooms/mount.js";
import { hostedOnlyFields, ignoredServeFields, type AssetBuildFileConfig, type ConfigFile } from "./schema.js";

/** What the command line says about the project; anything set here wins over the config file. */
export interface ProjectFlags {
  cwd: string;
  config?: string;
  entry?: string;
  port?: number;
  host?: string;
  persist?: string;
  noPersist?: boolean;
  vars?: Record<string, string>;
  define?: Record<string, string>;
  serve?: string;
  /** `yparty dev` also reads `.env.local` (as PartyKit does). */
  dev?: boolean;
}

export interface AssetBuild {
  entryPoints: string[];
  outdir: string;
  bundle: boolean;
  splitting: boolean;
  minify: boolean;
  sourcemap: boolean;
  format: "esm" | "cjs" | "iife";
  external: string[];
  alias: Record<string, string>;
  define: Record<string, string>;
  loader: Record<string, string>;
}

export interface ServeConfig {
  /** Absolute folder of static files. */
  path: string;
  /** Unknown paths without a file extension answer index.html. */
  singlePageApp: boolean;
  /** Cache-Control max-age in seconds; `null` = no header. */
  browserTTL: number | null;
  build?: AssetBuild;
}

/** Everything a server command needs, with absolute paths. */
export interface ProjectConfig {
  /** The config file read, if any. */
  file?: string;
  /** Folder that relative paths in the config are resolved against. */
  root: string;
  name?: string;
  /** Absolute entry of the `main` party; absent = the built-in Yjs party. */
  main?: string;
  /** Other parties: name → absolute entry. */
  parties: Record<string, string>;
  port: number;
  host: string;
  persist: { dir: string } | false;
  vars: Record<string, unknown>;
  define: Record<string, string>;
  alias: Record<string, string>;
  minify: boolean;
  build?: { command: string; cwd: string; watch: string[] };
  serve?: ServeConfig;
  /** PartyKit's `crons`: name → expression, each checked here. */
  crons: Record<string, string>;
  /** `GET /parties/{party}` lists rooms (default true). */
  listRooms: boolean;
  /** The rooms protocol: the module defining the room types (absolute), and the socket path. */
  rooms?: { entry: string; path: string };
  /** Things worth telling the user once (env files read, hosted-only fields ignored). */
  notes: string[];
}

function entryPath(base: string, file: string, field: string, source: string): string {
  const absolute = path.resolve(base, file);
  if (!existsSync(absolute)) throw new CliError("ERR_ENTRY_NOT_FOUND", `${source}: ${field}: file not found: ${absolute}`);
  return absolute;
}

function assetBuild(root: string, servePath: string, build: string | AssetBuildFileConfig): AssetBuild {
  const spec = typeof build === "string" ? { entry: build } : build;
  const entries = spec.entry === undefined ? [] : Array.isArray(spec.entry) ? spec.entry : [spec.entry];
  return {
    entryPoints: entries.map((entry) => path.resolve(root, entry)),
    outdir: path.resolve(root, spec.outdir ?? path.join(servePath, "dist")),
    bundle: spec.bundle ?? true,
    splitting: spec.splitting ?? true,
    minify: spec.minify ?? false,
    sourcemap: spec.sourcemap ?? true,
    format: spec.format ?? "esm",
    external: spec.external ?? [],
    alias: spec.alias ?? {},
    define: spec.define ?? {},
    loader: spec.loader ?? {},
  };
}

/** A static folder must exist, unless a client build will create it. */
function servedFolder(folder: string, field: string, source: string, built: boolean): string {
  if (built || statSync(folder, { throwIfNoEntry: false })?.isDirectory()) return folder;
  throw new CliError("ERR_CONFIG", `${source}: ${field}: folder not found: ${folder}`);
}

function serveConfig(flags: ProjectFlags, root: string, file: ConfigFile, source: string): ServeConfig | undefined {
  if (flags.serve !== undefined) {
    return { path: servedFolder(path.resolve(flags.cwd, flags.serve), "--serve", "command line", false), singlePageApp: false, browserTTL: null };
  }
  const serve = file.serve;
  if (serve === undefined) return undefined;
  if (typeof serve === "string") return { path: servedFolder(path.resolve(root, serve), "serve", source, false), singlePageApp: false, browserTTL: null };
  const servePath = servedFolder(path.resolve(root, serve.path ?? "public"), "serve.path", source, serve.build !== undefined);
  return {
    path: servePath,
    singlePageApp: serve.singlePageApp ?? false,
    browserTTL: serve.browserTTL ?? null,
    ...(serve.build === undefined ? {} : { build: assetBuild(root, servePath, serve.build) }),
  };
}

/** The data folder may not exist yet (it is created), but it must not be a file. */
function dataFolder(folder: string, field: string, source: string): { dir: string } {
  if (statSync(folder, { throwIfNoEntry: false })?.isFile()) {
    throw new CliError("ERR_CONFIG", `${source}: ${field}: ${folder} is a file, not a folder; pass a folder for the LevelDB data (it is created if missing)`);
  }
  return { dir: folder };
}

function persistConfig(flags: ProjectFlags, root: string, file: ConfigFile, source: string): { dir: string } | false {
  if (flags.noPersist) return false;
  if (flags.persist !== undefined) return dataFolder(path.resolve(flags.cwd, flags.persist), "--persist", "command line");
  if (file.persist === false) return false;
  const dir = typeof file.persist === "string" ? file.persist : CliDefaults.dataDir;
  return dataFolder(path.resolve(root, dir), "persist", source);
}

/** Reads the config file (if any), `.env` files and flags into one `ProjectConfig`. Throws `CliError` (exit 2). */
export function resolveProject(flags: ProjectFlags): ProjectConfig {
  const configFile = findConfigFile(flags.cwd, flags.config);
  const file: ConfigFile = configFile ? readConfigFile(configFile) : {};
  const root = configFile ? path.dirname(configFile) : flags.cwd;
  const source = configFile ?? "command line";
  const notes: string[] = [];
  const hosted = hostedOnlyFields.filter((field) => file[field] !== undefined);
  if (hosted.length > 0) notes.push(`Ignoring PartyKit platform fields in ${configFile}: ${hosted.join(", ")}`);
  if (typeof file.serve === "object") {
    const ignored = ignoredServeFields.filter((field) => (file.serve as Record<string, unknown>)[field] !== undefined);
    if (ignored.length > 0) notes.push(`Ignoring serve fields in ${configFile}: ${ignored.join(", ")}`);
  }
  const env = readEnvFiles(root, flags.dev === true, parseDotenv);
  if (env.files.length > 0) notes.push(`Loaded environment variables from ${env.files.map((f) => path.relative(flags.cwd, f) || f).join(", ")}`);

  const main = flags.entry !== undefined
    ? entryPath(flags.cwd, flags.entry, "entry", "command line")
    : file.main !== undefined ? entryPath(root, file.main, "main", source) : undefined;
  const parties = Object.fromEntries(
    Object.entries(file.parties ?? {}).map(([name, entry]) => [name, entryPath(root, entry, `parties.${name}`, source)]),
  );
  const build = file.build?.command === undefined ? undefined : {
    command: file.build.command,
    cwd: path.resolve(root, file.build.cwd ?? "."),
    watch: (file.build.watch === undefined ? ["src"] : Array.isArray(file.build.watch) ? file.build.watch : [file.build.watch]).map((w) => path.resolve(root, w)),
  };
  const serve = serveConfig(flags, root, file, source);
  return {
    ...(configFile ? { file: configFile } : {}),
    root,
    ...(file.name !== undefined ? { name: file.name } : {}),
    ...(main !== undefined ? { main } : {}),
    parties,
    port: flags.port ?? file.port ?? CliDefaults.port,
    host: flags.host ?? CliDefaults.host,
    persist: persistConfig(flags, root, file, source),
    vars: { ...file.vars, ...env.vars, ...flags.vars },
    define: { ...file.define, ...flags.define },
    alias: file.build?.alias ?? {},
    minify: file.minify ?? false,
    ...(build ? { build } : {}),
    ...(serve ? { serve } : {}),
    crons: checkedCrons(file.crons ?? {}, source),
    listRooms: file.listRooms ?? true,
    ...(file.rooms !== undefined ? { rooms: roomsConfig(root, file.rooms, source) } : {}),
    notes,
  };
}

function roomsConfig(root: string, rooms: string | { entry?: string; path?: string }, source: string): { entry: string; path: string } {
  const spec = typeof rooms === "string" ? { entry: rooms } : rooms;
  if (spec.entry === undefined) throw new CliError("ERR_CONFIG", `${source}: rooms.entry: name the module that exports defineRooms({ types })`);
  const socketPath = spec.path ?? DEFAULT_ROOMS_PATH;
  if (!socketPath.startsWith("/") || socketPath.startsWith("/parties/") || socketPath.startsWith("/party/")) {
    throw new CliError("ERR_CONFIG", `${source}: rooms.path: "${socketPath}" must start with "/" and lie outside /parties/ and /party/`);
  }
  return { entry: entryPath(root, spec.entry, "rooms.entry", source), path: socketPath };
}

/** Refuses an expression that cannot run now, naming the field, rather than at the server's start. */
function checkedCrons(crons: Record<string, string>, source: string): Record<string, string> {
  for (const [name, expression] of Object.entries(crons)) {
    try {
      parseCron(expression);
    } catch (error) {
      throw new CliError("ERR_CONFIG", `${source}: crons.${name}: ${(error as Error).message}`);
    }
  }
  return crons;
}
