/**
 * The command table: one source for parsing (`args.ts`) and for `--help` (`help.ts`), so they cannot drift.
 */
import { CliDefaults } from "./defaults.js";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** Repeatable (`--var A=1 --var B=2`). */
  multiple?: boolean;
  /** Also takes the `KEY=VALUE` words that follow it (`--var A=1 B=2`, as PartyKit's CLI reads it). */
  variadic?: boolean;
  /** Shown after the flag in help, e.g. `<dir>`. */
  value?: string;
  description: string;
  /** Left out of `--help` (PartyKit's dev flags yparty takes and ignores: one note says so). */
  hidden?: boolean;
}

export interface CommandSpec {
  name: CommandName;
  summary: string;
  /** Positional arguments, e.g. `[entry]` or `<party>/<room>`. */
  args: string;
  /** At most this many positionals. */
  maxArgs: number;
  /** At least this many positionals. */
  minArgs: number;
  options: Record<string, OptionSpec>;
  /** Extra lines for the command's help. */
  notes?: string[];
}

export type CommandName = "dev" | "start" | "list" | "tail" | "delete" | "export" | "doctor" | "repair" | "migrate";

const configOption: OptionSpec = {
  type: "string",
  short: "c",
  value: "<file>",
  description: "config file (default: yparty.json, else partykit.json, in this folder)",
};

/**
 * Flags of `partykit dev` that mean nothing here (live reload of the page, workerd's compatibility settings and
 * request.cf, its hotkeys, verbose output, its build folder): taken and ignored, with a note, so a project's
 * `"dev": "partykit dev --live"` script runs with `yparty` in its place. HTTPS flags stay refused.
 */
export const IGNORED_PARTYKIT_FLAGS = [
  "live",
  "verbose",
  "no-hotkeys",
  "disable-request-cf-fetch",
  "compatibility-date",
  "compatibility-flags",
  "unstable_outdir",
];

function partykitDevFlags(): Record<string, OptionSpec> {
  const withValue = new Set(["compatibility-date", "compatibility-flags", "unstable_outdir"]);
  return Object.fromEntries(
    IGNORED_PARTYKIT_FLAGS.map((name) => [
      name,
      withValue.has(name)
        ? { type: "string", multiple: true, hidden: true, description: "PartyKit's; ignored" }
        : { type: "boolean", hidden: true, description: "PartyKit's; ignored" },
    ]),
  );
}

const serverOptions: Record<string, OptionSpec> = {
  config: configOption,
  port: { type: "string", short: "p", value: "<n>", description: `port to listen on (default ${CliDefaults.port}; 0 = any free port)` },
  host: { type: "string", value: "<host>", description: `interface to bind (default ${CliDefaults.host}; 0.0.0.0 for every interface)` },
  persist: { type: "string", value: "<dir>", description: `LevelDB data folder (default ${CliDefaults.dataDir})` },
  "no-persist": { type: "boolean", description: "keep everything in memory; lost on exit" },
  store: {
    type: "string",
    value: "<url>",
    description: "store documents and room storage in PostgreSQL (postgres://user@host:5432/db; the password from $PGPASSWORD) instead of the folder",
  },
  "query-timeout": {
    type: "string",
    value: "<ms>",
    description: "with --store: how long one PostgreSQL statement or new connection may take before it is given up (default 30000)",
  },
  var: {
    type: "string",
    short: "v",
    multiple: true,
    variadic: true,
    value: "KEY=VALUE...",
    description: "variables for room.env (--var A=1 B=2; wins over config and .env)",
  },
  define: {
    type: "string",
    short: "d",
    multiple: true,
    variadic: true,
    value: "KEY=VALUE...",
    description: "replace KEY in the server code with VALUE, a JS expression (--define A=1 B=2)",
  },
  "with-env": { type: "boolean", description: "also replace each .env variable's name in the server code with its value, a string (PartyKit's --with-env)" },
  name: { type: "string", short: "n", value: "<name>", description: "project name shown in the banner (default: the config's name)" },
  serve: { type: "string", value: "<dir>", description: "serve static files from this folder" },
  "trust-proxy": { type: "boolean", description: "behind a reverse proxy: take the client's address from the X-Forwarded-For it appends to" },
  cluster: {
    type: "string",
    value: "<redis-url>",
    description: "one node of a cluster coordinated by this Redis (with --store postgres://… and --advertise; docs/cluster.md)",
  },
  advertise: { type: "string", value: "<url>", description: "cluster: this node's address for the other nodes, http://HOST:PORT" },
  "lease-ttl": {
    type: "string",
    value: "<seconds>",
    description: `cluster: how soon a dead node's rooms move to others (default ${CliDefaults.leaseTtlSeconds})`,
  },
  "admin-token": { type: "string", value: "<token>", description: "token for list/tail/delete/export (default: $YPARTY_ADMIN_TOKEN, else generated)" },
  "log-level": { type: "string", value: "<level>", description: "debug, info, warn or error (default info)" },
  minify: { type: "boolean", description: "minify the server bundle (as the config's minify: true)" },
  ...partykitDevFlags(),
  help: { type: "boolean", short: "h", description: "show this help" },
};

/** How admin commands find the server: flags, else env, else the admin file in the data folder. */
const adminOptions: Record<string, OptionSpec> = {
  url: { type: "string", value: "<url>", description: "server URL (default: $YPARTY_URL, else read from the data folder)" },
  token: { type: "string", value: "<token>", description: "admin token (default: $YPARTY_ADMIN_TOKEN, else read from the data folder)" },
  persist: {
    type: "string",
    value: "<dir>",
    description: `data folder of the running server (default: the config's, package.json's yparty scripts', nearby ${CliDefaults.dataDir})`,
  },
  config: configOption,
  help: { type: "boolean", short: "h", description: "show this help" },
};

/** Offline commands on a data folder (the server stopped): src/cli/doctor.ts, src/cli/repair.ts. */
const folderOptions: Record<string, OptionSpec> = {
  persist: { type: "string", value: "<dir>", description: `the data folder (default ${CliDefaults.dataDir}, or the config's persist)` },
  config: configOption,
  help: { type: "boolean", short: "h", description: "show this help" },
};

const folderCommands: Record<"doctor" | "repair", CommandSpec> = {
  doctor: {
    name: "doctor",
    summary: "check a data folder for damaged storage (server stopped); exit 1 when damage is found",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: folderOptions,
    notes: ["Lists every document that misses acknowledged updates or cannot be read. Writes nothing (LevelDB replays its log on open, as always)."],
  },
  repair: {
    name: "repair",
    summary: "accept what is left of damaged documents so they load again (server stopped)",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: folderOptions,
    notes: ["Runs LevelDB's own repair when the folder cannot open or data cannot be read. What was lost stays lost: keep a copy of the folder first."],
  },
};

export const commands: Record<CommandName, CommandSpec> = {
  dev: {
    name: "dev",
    summary: "run a server that rebuilds and reloads when its code changes",
    args: "[entry]",
    minArgs: 0,
    maxArgs: 1,
    options: serverOptions,
    notes: [
      `Without an entry or a config file, every room is a Yjs document (y-websocket compatible), stored in ${CliDefaults.dataDir}/.`,
      "When a file the server bundle reads changes it, connections are closed with 1012 (clients reconnect) and room storage is kept.",
      "A build error is printed and the last good build keeps serving.",
      "PartyKit's dev flags --live, --verbose, --no-hotkeys, --disable-request-cf-fetch, --compatibility-date, --compatibility-flags and --unstable_outdir are taken and ignored.",
    ],
  },
  start: {
    name: "start",
    summary: "run a server for production (no watching; JSON-line logs when stdout is not a terminal)",
    args: "[entry]",
    minArgs: 0,
    maxArgs: 1,
    options: serverOptions,
  },
  list: {
    name: "list",
    summary: "list rooms of a running server: live connections, stored document size and room.storage keys",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: { ...adminOptions, json: { type: "boolean", description: "print JSON instead of a table" } },
  },
  tail: {
    name: "tail",
    summary: "stream the live logs of a running server",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: { ...adminOptions, json: { type: "boolean", description: "print each entry as a JSON line" } },
  },
  delete: {
    name: "delete",
    summary: "delete a room's stored data (its Yjs document and key-value storage)",
    args: "<party>/<room>",
    minArgs: 1,
    maxArgs: 1,
    options: { ...adminOptions, yes: { type: "boolean", short: "y", description: "do not ask for confirmation" } },
    notes: [
      "Asks for confirmation; without a terminal, --yes is required. A room people are connected to is refused (exit 1): delete it once everyone has left.",
    ],
  },
  export: {
    name: "export",
    summary: "print a room's Yjs document as JSON, or as a binary Yjs update",
    args: "<party>/<room>",
    minArgs: 1,
    maxArgs: 1,
    options: {
      ...adminOptions,
      format: { type: "string", value: "<json|binary>", description: "output format (default json)" },
      output: { type: "string", short: "o", value: "<file>", description: "write to a file instead of stdout" },
    },
  },
  ...folderCommands,
  migrate: {
    name: "migrate",
    summary: "copy a LevelDB data folder's documents, room storage and alarms to PostgreSQL (both not in use)",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: {
      from: { type: "string", value: "<dir>", description: `the LevelDB data folder to copy (e.g. ${CliDefaults.dataDir})` },
      to: { type: "string", value: "<url>", description: "the PostgreSQL database (postgres://user@host:5432/db; the password from $PGPASSWORD)" },
      help: { type: "boolean", short: "h", description: "show this help" },
    },
    notes: [
      "Stop the server first: a folder a server holds is refused, and so is a database a standalone server uses.",
      "Safe to run again: documents are merged (what the target holds already is kept), equal keys are skipped, and a key the target holds with another value is reported, not overwritten (exit 1).",
      "Then start the server with --store <url> (or store in yparty.json).",
    ],
  },
};
