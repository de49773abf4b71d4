/**
 * The project a server command runs: the config file, `.env` files and flags resolved into one `ProjectConfig` with
 * absolute paths (flags win), every value checked now, before anything starts (entries and folders that must exist,
 * the store, crons, limits, mounts, the cluster), and notes for what is ignored.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { isPostgresUrl } from "../../../persistence/pg/url.js";
import { CliDefaults } from "../defaults.js";
import { clusterSettings, type ClusterFlags, type ClusterSettings } from "./cluster.js";
import { parseDotenv } from "./dotenv.js";
import { ConfigProblems, type Report } from "./problems.js";
import { findConfigFile, nameProblem, readConfigFile, readEnvFiles } from "./read.js";
import { parseCron } from "../../runtime/cron-expression.js";
// The protocols' default paths only: the protocols themselves load when a config mounts them.
import { DEFAULT_ROOMS_PATH } from "../../rooms/limits.js";
import { DEFAULT_API_PATH, DEFAULT_GAME_PATH } from "../../game/limits.js";
import { resolveLimits, type Limits } from "../../runtime/limits.js";
import { resolveYjsLimits } from "../../yjs/defaults.js";
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
  /** `--store postgres://…`: wins over the config's `store` and `persist`. */
  store?: string;
  /** `--query-timeout <ms>`, as typed: wins over the config's `store.queryTimeoutMs`. */
  queryTimeout?: string;
  vars?: Record<string, string>;
  define?: Record<string, string>;
  /** `--with-env`: `.env` variables also become `define`s (PartyKit's flag). */
  withEnv?: boolean;
  /** `--minify`: wins over the config's `minify`. */
  minify?: boolean;
  /** PartyKit's dev flags given that yparty ignores (`--live`, …): named in a note. */
  ignoredFlags?: string[];
  /** `--name`: wins over the config's `name` (shown in the banner). */
  name?: string;
  serve?: string;
  /** `--trust-proxy`: wins over the config's `trustProxy`. */
  trustProxy?: boolean;
  /** `yparty dev` also reads `.env.local` (as PartyKit does). */
  dev?: boolean;
  /** `--cluster`, `--advertise`, `--lease-ttl`. */
  cluster?: ClusterFlags;
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
  /** The data folder: LevelDB's, or with `store` only the admin file's (yparty list/tail/delete/export find it there). */
  persist: { dir: string } | false;
  /** A PostgreSQL database (`--store`, `store`): documents and room storage live there, not in `persist`. */
  store?: StoreSettings;
  /** Where `store` was read, for messages about it: `--store`, or `"store" in <config file>`. */
  storeOrigin?: string;
  vars: Record<string, unknown>;
  /** The `.env` files' variables alone: also set in `process.env` (as PartyKit's runtime does), real ones winning. */
  dotenv: Record<string, string>;
  define: Record<string, string>;
  /** Where each `define` came from, for messages: `define.KEY` of the config file, `--define KEY` of the command line. */
  defineOrigins: Record<string, { source: string; field: string }>;
  alias: Record<string, string>;
  minify: boolean;
  build?: { command: string; cwd: string; watch: string[] };
  serve?: ServeConfig;
  /** PartyKit's `crons`: name → expression, each checked here. */
  crons: Record<string, string>;
  /** `GET /parties/{party}` lists rooms (default: of the parties that guard no access; see createServer). */
  listRooms: boolean | undefined;
  /** `documentLimits` of yparty.json: the Yjs parties' limits, each checked here. */
  documentLimits: Record<string, number>;
  /** `durability` of yparty.json: the server's default for document parties. */
  durability: "fast" | "strict" | undefined;
  /** Proxies in front whose X-Forwarded-For gives the client's address (`createServer({ trustProxy })`). */
  trustProxy: boolean | number;
  /** The rooms protocol: the module defining the room types (absolute), and the socket path. */
  rooms?: MountConfig;
  /** The game protocol (seed 002): the module defining matches and modes (absolute), the socket path, the REST prefix. */
  game?: MountConfig;
  /** `createServer`'s `limits`, each checked here. */
  limits: Partial<Limits>;
  /** One node of a cluster (`--cluster`, `cluster`): Redis, this node's address, the lease TTL. */
  cluster?: ClusterSettings;
  /** Things worth telling the user once (env files read, hosted-only fields ignored). */
  notes: string[];
}

/** A protocol mounted from the config (`rooms`, `game`). */
export interface MountConfig {
  entry: string;
  /** The socket's path. */
  path: string;
  /** The REST API's prefix (the game's). */
  apiPath?: string;
}

function entryPath(base: string, file: string, field: string, report: Report): string {
  const absolute = path.resolve(base, file);
  if (!existsSync(absolute)) report(field, `file not found: ${absolute}`, { missingFile: true });
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
function servedFolder(folder: string, field: string, report: Report, built: boolean): string {
  if (!built && !statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
    report(field, `folder not found: ${folder}`);
  }
  return folder;
}

function serveConfig(flags: ProjectFlags, root: string, file: ConfigFile, fromFile: Report, fromFlags: Report): ServeConfig | undefined {
  if (flags.serve !== undefined) {
    return { path: servedFolder(path.resolve(flags.cwd, flags.serve), "--serve", fromFlags, false), singlePageApp: false, browserTTL: null };
  }
  const serve = file.serve;
  if (serve === undefined) return undefined;
  if (typeof serve === "string") return { path: servedFolder(path.resolve(root, serve), "serve", fromFile, false), singlePageApp: false, browserTTL: null };
  const servePath = servedFolder(path.resolve(root, serve.path ?? "public"), "serve.path", fromFile, serve.build !== undefined);
  return {
    path: servePath,
    singlePageApp: serve.singlePageApp ?? false,
    browserTTL: serve.browserTTL ?? null,
    ...(serve.build === undefined ? {} : { build: assetBuild(root, servePath, serve.build) }),
  };
}

/** Whether `at` is a file (a path through a file, ENOTDIR, is not one itself). */
function isFile(at: string): boolean {
  try {
    return statSync(at, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
}

/** The data folder may not exist yet (it is created), but neither it nor a folder above it may be a file. */
function dataFolder(folder: string, field: string, report: Report): { dir: string } {
  for (let at = folder; ; at = path.dirname(at)) {
    if (isFile(at)) {
      const where = at === folder ? `${folder} is a file` : `${at} (in ${folder}) is a file`;
      report(field, `${where}, not a folder; pass a folder for the LevelDB data (it is created if missing)`);
      break;
    }
    if (path.dirname(at) === at) break;
  }
  return { dir: folder };
}

/** The PostgreSQL store and its options (`PostgresStorageOptions`' names), as createServer's `store` takes them. */
export interface StoreSettings {
  url: string;
  queryTimeoutMs?: number;
}

/** setTimeout's longest wait: pg's query_timeout above it fires at once (Node's TimeoutOverflowWarning). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Where documents and room storage live when not in the LevelDB folder: `--store`, else the config's `store` (unless
 * a `--persist`/`--no-persist` flag says otherwise). Only PostgreSQL URLs; the flags' own conflict is main.ts's.
 * Its options: `--query-timeout`, else the config's `store.queryTimeoutMs` (kept under a `--store` URL too).
 */
function storeConfig(
  flags: ProjectFlags,
  file: ConfigFile,
  configFile: string | undefined,
  fromFile: Report,
  fromFlags: Report,
): { store: StoreSettings; origin: string } | undefined {
  const fileStore = typeof file.store === "string" ? { url: file.store } : file.store;
  const [url, field, report] =
    flags.store !== undefined ? [flags.store, "--store", fromFlags] : [fileStore?.url, typeof file.store === "object" ? "store.url" : "store", fromFile];
  if (fileStore !== undefined && fileStore.url === undefined && typeof file.store === "object") {
    fromFile("store.url", "is missing: the PostgreSQL URL (postgres://user@host:5432/database) the options are for");
  }
  const timeout =
    flags.queryTimeout !== undefined
      ? { value: Number(flags.queryTimeout), given: flags.queryTimeout, problem: (message: string) => fromFlags("--query-timeout", message) }
      : { value: fileStore?.queryTimeoutMs, given: fileStore?.queryTimeoutMs, problem: (message: string) => fromFile("store.queryTimeoutMs", message) };
  if (url === undefined || (flags.store === undefined && (flags.persist !== undefined || flags.noPersist))) {
    if (flags.queryTimeout !== undefined) fromFlags("--query-timeout", "is PostgreSQL's: it needs --store postgres://… (or store in the config)");
    return undefined;
  }
  if (!isPostgresUrl(url)) {
    report(field, `must be a PostgreSQL URL (postgres://user@host:5432/database), got "${url}"; a LevelDB folder is given with persist`);
  }
  if (flags.store === undefined && typeof file.persist === "string") {
    fromFile("store", `and "persist" both say where the data lives: keep one (store: PostgreSQL; persist: a LevelDB folder)`);
  }
  if (timeout.value !== undefined && !(Number.isInteger(timeout.value) && timeout.value > 0 && timeout.value <= MAX_TIMEOUT_MS)) {
    timeout.problem(`expected a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS} (default 30000), got "${timeout.given}"`);
  }
  const origin = flags.store !== undefined ? field : `"${field}" in ${configFile}`;
  return { store: { url, ...(timeout.value !== undefined ? { queryTimeoutMs: timeout.value } : {}) }, origin };
}

function persistConfig(flags: ProjectFlags, root: string, file: ConfigFile, fromFile: Report, fromFlags: Report): { dir: string } | false {
  if (flags.noPersist) return false;
  if (flags.persist !== undefined) return dataFolder(path.resolve(flags.cwd, flags.persist), "--persist", fromFlags);
  if (file.persist === false) return false;
  const dir = typeof file.persist === "string" ? file.persist : CliDefaults.dataDir;
  return dataFolder(path.resolve(root, dir), "persist", fromFile);
}

/**
 * Reads the config file (if any), `.env` files and flags into one `ProjectConfig`. Every problem, in the file
 * and on the command line, is reported in one `CliError` (exit 2).
 */
export function resolveProject(flags: ProjectFlags): ProjectConfig {
  const configFile = findConfigFile(flags.cwd, flags.config);
  const read = configFile ? readConfigFile(configFile) : { config: {}, problems: [], ignored: [] };
  const file: ConfigFile = read.config;
  const root = configFile ? path.dirname(configFile) : flags.cwd;
  const problems = new ConfigProblems();
  const fromFile = problems.of(configFile ?? "command line");
  const fromFlags = problems.of("command line");
  for (const { field, message } of read.problems) fromFile(field, message);
  const nameFlag = flags.name === undefined ? undefined : nameProblem(flags.name);
  if (nameFlag) fromFlags("--name", nameFlag);
  const notes: string[] = [];
  const hosted = hostedOnlyFields.filter((field) => file[field] !== undefined);
  if (hosted.length > 0) notes.push(`Ignoring PartyKit platform fields in ${configFile}: ${hosted.join(", ")}`);
  if (typeof file.serve === "object") {
    const ignored = ignoredServeFields.filter((field) => (file.serve as Record<string, unknown>)[field] !== undefined);
    if (ignored.length > 0) notes.push(`Ignoring serve fields in ${configFile}: ${ignored.join(", ")}`);
  }
  if (read.ignored.length > 0) notes.push(`Ignoring unknown fields in ${configFile} (as PartyKit does): ${read.ignored.join(", ")}`);
  if (flags.ignoredFlags?.length) notes.push(`Ignoring PartyKit dev flags with no meaning here: ${flags.ignoredFlags.map((flag) => `--${flag}`).join(", ")}`);
  const env = readEnvFiles(root, flags.dev === true, parseDotenv);
  if (env.files.length > 0) notes.push(`Loaded environment variables from ${env.files.map((f) => path.relative(flags.cwd, f) || f).join(", ")}`);

  const main =
    flags.entry !== undefined
      ? entryPath(flags.cwd, flags.entry, "entry", fromFlags)
      : file.main !== undefined
        ? entryPath(root, file.main, "main", fromFile)
        : undefined;
  const parties = Object.fromEntries(Object.entries(file.parties ?? {}).map(([name, entry]) => [name, entryPath(root, entry, `parties.${name}`, fromFile)]));
  const build =
    file.build?.command === undefined
      ? undefined
      : {
          command: file.build.command,
          cwd: path.resolve(root, file.build.cwd ?? "."),
          watch: (file.build.watch === undefined ? ["src"] : Array.isArray(file.build.watch) ? file.build.watch : [file.build.watch]).map((w) =>
            path.resolve(root, w),
          ),
        };
  const serve = serveConfig(flags, root, file, fromFile, fromFlags);
  const persist = persistConfig(flags, root, file, fromFile, fromFlags);
  const stored = storeConfig(flags, file, configFile, fromFile, fromFlags);
  const store = stored?.store;
  const where = persist ? `in the LevelDB folder ${persist.dir}` : "in memory";
  const cluster = clusterSettings(flags.cluster ?? {}, file, { postgres: store !== undefined, where }, fromFile, fromFlags);
  const crons = checkedCrons(file.crons ?? {}, fromFile);
  const trustProxy = flags.trustProxy ?? checkedTrustProxy(file.trustProxy, fromFile);
  const rooms = file.rooms === undefined ? undefined : mountConfig(root, "rooms", file.rooms, DEFAULT_ROOMS_PATH, "defineRooms({ types })", fromFile);
  const game = file.game === undefined ? undefined : mountConfig(root, "game", file.game, DEFAULT_GAME_PATH, "defineGame({ matches, modes })", fromFile);
  if (rooms && game && rooms.path === game.path) fromFile("game.path", `"${game.path}" is rooms.path too: give each protocol its own path`);
  // Their room directory and matchmaking queues live in the process (docs/rooms.md, "Not yet"): on a cluster a join
  // would fail whenever the room or queue is served by another node.
  for (const [field, mount] of [
    ["rooms", rooms],
    ["game", game],
  ] as const) {
    if (cluster && mount)
      fromFile(
        field,
        `the ${field} protocol runs on one node for now (its room directory and matchmaking are in the process): run it on a node started without --cluster`,
      );
  }
  // A project whose rooms are all the built-in Yjs documents bundles nothing: these would change nothing, silently.
  if (main === undefined && Object.keys(parties).length === 0 && !rooms && !game) {
    const idle = [flags.minify && "--minify", !flags.minify && file.minify && `minify in ${configFile}`, flags.withEnv && "--with-env"].filter(Boolean);
    if (idle.length > 0) notes.push(`Ignoring ${idle.join(", ")}: this project has no server code of its own to bundle (its rooms are Yjs documents)`);
  }
  const limits = checkedLimits("limits", file.limits ?? {}, resolveLimits, "docs/runtime.md#limits", fromFile) as Partial<Limits>;
  const documentLimits = checkedLimits("documentLimits", file.documentLimits ?? {}, resolveYjsLimits, "docs/yjs.md#limits-and-defaults", fromFile);
  problems.throwIfAny();
  const name = flags.name ?? file.name;
  return {
    ...(configFile ? { file: configFile } : {}),
    root,
    ...(name !== undefined ? { name } : {}),
    ...(main !== undefined ? { main } : {}),
    parties,
    port: flags.port ?? file.port ?? CliDefaults.port,
    host: flags.host ?? CliDefaults.host,
    persist,
    ...(stored !== undefined ? { store: stored.store, storeOrigin: stored.origin } : {}),
    vars: { ...file.vars, ...env.vars, ...flags.vars },
    dotenv: env.vars,
    define: { ...(flags.withEnv ? envDefines(env.vars) : {}), ...file.define, ...flags.define },
    defineOrigins: {
      ...Object.fromEntries(Object.keys(file.define ?? {}).map((key) => [key, { source: configFile ?? "command line", field: `define.${key}` }])),
      ...Object.fromEntries(Object.keys(flags.define ?? {}).map((key) => [key, { source: "command line", field: `--define ${key}` }])),
    },
    alias: file.build?.alias ?? {},
    minify: flags.minify === true || (file.minify ?? false),
    ...(build ? { build } : {}),
    ...(serve ? { serve } : {}),
    crons,
    listRooms: file.listRooms,
    durability: file.durability,
    documentLimits,
    trustProxy,
    ...(rooms ? { rooms } : {}),
    ...(game ? { game } : {}),
    limits,
    ...(cluster ? { cluster } : {}),
    notes,
  };
}

function checkedTrustProxy(trustProxy: boolean | number | undefined, report: Report): boolean | number {
  if (typeof trustProxy === "number" && !(Number.isInteger(trustProxy) && trustProxy >= 0)) {
    report("trustProxy", `must be true, false or the number of proxies in front of the server, got ${trustProxy}`);
  }
  return trustProxy ?? false;
}

/**
 * `--with-env` (as PartyKit's): each `.env` variable also replaces the global of that name in the server code,
 * as a string. Only names that can be identifiers can be replaced.
 */
function envDefines(vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(vars)
      .filter(([key]) => /^[A-Za-z_$][\w$]*$/.test(key))
      .map(([key, value]) => [key, JSON.stringify(value)]),
  );
}

/** A protocol mount: `"rooms": "src/rooms.ts"` or `{ "entry", "path" }` (the game's also `apiPath`). */
function mountConfig(
  root: string,
  field: "rooms" | "game",
  spec: string | { entry?: string; path?: string; apiPath?: string },
  defaultPath: string,
  expected: string,
  report: Report,
): MountConfig | undefined {
  const { entry, path: socketPath = defaultPath, apiPath } = typeof spec === "string" ? { entry: spec } : spec;
  for (const [name, value] of [
    ["path", socketPath],
    ["apiPath", apiPath],
  ] as const) {
    if (value !== undefined && (!value.startsWith("/") || value.startsWith("/parties/") || value.startsWith("/party/"))) {
      report(`${field}.${name}`, `"${value}" must start with "/" and lie outside /parties/ and /party/`);
    }
  }
  if (entry === undefined) {
    report(`${field}.entry`, `name the module that exports ${expected}`);
    return undefined;
  }
  return { entry: entryPath(root, entry, `${field}.entry`, report), path: socketPath, ...(field === "game" ? { apiPath: apiPath ?? DEFAULT_API_PATH } : {}) };
}

/** An unknown limit, or a value it cannot take, is reported now (naming `field`) rather than at the server's start. */
function checkedLimits(
  field: string,
  limits: Record<string, number>,
  resolve: (limits: Record<string, number>) => unknown,
  docs: string,
  report: Report,
): Record<string, number> {
  try {
    resolve(limits);
  } catch (error) {
    report(field, `${(error as Error).message} (see ${docs})`);
  }
  return limits;
}

/** Refuses an expression that cannot run now, naming the field, rather than at the server's start. */
function checkedCrons(crons: Record<string, string>, report: Report): Record<string, string> {
  for (const [name, expression] of Object.entries(crons)) {
    try {
      parseCron(expression);
    } catch (error) {
      report(`crons.${name}`, (error as Error).message);
    }
  }
  return crons;
}
