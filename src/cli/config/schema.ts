/**
 * The fields a config file may hold and their types: every field of PartyKit 0.0.115's `partykit.json` schema (so one
 * works unchanged; the hosted platform's fields are accepted and ignored) plus yparty's own, as shapes for shape.ts to
 * check.
 */
import { any, arrayOf, bool, enumOf, looseObject, nul, num, object, oneOf, recordOf, str, type Shape } from "./shape.js";

/** Field types of `yparty.json`: the same fields `partykit.json` accepts (PartyKit 0.0.115's schema). */
const stringOrStrings = oneOf(str, arrayOf(str));
const loaders = enumOf("base64", "binary", "copy", "css", "dataurl", "default", "empty", "file", "js", "json", "jsx", "local-css", "text", "ts", "tsx");

/**
 * `serve.build`: the browser bundle PartyKit builds from your client entry. PartyKit's schema strips unknown fields of
 * `serve` and `serve.build` rather than refusing them (cursor-party's partykit.json has `serve.minify`): so does
 * yparty, naming them in a note.
 */
export const assetBuildShape = looseObject({
  entry: stringOrStrings,
  bundle: bool,
  splitting: bool,
  external: arrayOf(str),
  outdir: str,
  minify: bool,
  alias: recordOf(str),
  format: enumOf("esm", "cjs", "iife"),
  live: bool,
  sourcemap: bool,
  define: recordOf(str),
  loader: recordOf(loaders),
});

export const configShape = object(
  {
    $schema: str,
    name: str,
    main: str,
    port: num,
    vars: recordOf(any),
    define: recordOf(str),
    parties: recordOf(str),
    persist: oneOf(bool, str),
    // A PostgreSQL URL, or { url, queryTimeoutMs }: how long one statement or new connection may take (docs/persistence.md).
    store: oneOf(str, object({ url: str, queryTimeoutMs: num }, "a postgres:// URL or { url, queryTimeoutMs }")),
    minify: bool,
    serve: oneOf(
      str,
      looseObject(
        {
          path: str,
          build: oneOf(str, assetBuildShape),
          include: arrayOf(str),
          exclude: arrayOf(str),
          browserTTL: oneOf(nul, num),
          edgeTTL: oneOf(nul, num),
          singlePageApp: bool,
        },
        "an object with path, singlePageApp, build, browserTTL",
      ),
    ),
    build: object({ command: str, cwd: str, watch: stringOrStrings, alias: recordOf(str) }),
    // name → cron expression: runs the main party's static onCron (see src/runtime/crons.ts).
    crons: recordOf(str),
    // false: GET /parties/{party} does not list room names (yparty's own field).
    listRooms: bool,
    // When a document change reaches the other collaborators (yparty's own): "fast" (default) or "strict" (once stored).
    durability: enumOf("fast", "strict"),
    // The Yjs parties' limits (yparty's own field): any of createServer's `documentLimits`.
    documentLimits: recordOf(num),
    // The client's address comes from X-Forwarded-For of this many proxies in front (true: one); yparty's own field.
    trustProxy: oneOf(bool, num),
    // The rooms protocol (yparty's own): a module whose default export is defineRooms({ types }), mounted at path.
    rooms: oneOf(str, object({ entry: str, path: str })),
    // The game protocol (seed 002, yparty's own): a module whose default export is defineGame({ matches, modes }),
    // its socket at path (default /ws), its REST API under apiPath (default /api).
    game: oneOf(str, object({ entry: str, path: str, apiPath: str })),
    // The server's limits (yparty's own field): any of createServer's `limits`, checked by the runtime.
    limits: recordOf(num),
    // One node of a cluster (yparty's own field, docs/cluster.md): Redis, this node's address, the lease TTL in seconds.
    cluster: object({ redis: str, advertise: str, leaseTtl: num }),
    // Fields of PartyKit's hosted platform: accepted so a partykit.json works unchanged, and ignored (with a note).
    team: str,
    preview: str,
    compatibilityDate: str,
    compatibilityFlags: arrayOf(str),
    ai: any,
    domain: str,
    vectorize: recordOf(any),
    logpush: bool,
    tailConsumers: arrayOf(str),
    analytics: str,
    bindings: object({ r2: recordOf(str), kv: recordOf(str) }),
    placement: object({ mode: enumOf("smart") }),
    observability: object({ enabled: bool, head_sampling_rate: num }),
  },
  "a config object",
);

/** Fields that only mean something on PartyKit's hosted platform. */
export const hostedOnlyFields = [
  "team",
  "preview",
  "compatibilityDate",
  "compatibilityFlags",
  "ai",
  "domain",
  "vectorize",
  "logpush",
  "tailConsumers",
  "analytics",
  "bindings",
  "placement",
  "observability",
] as const;

/** `serve` fields that yparty ignores (they tune PartyKit's CDN). */
export const ignoredServeFields = ["include", "exclude", "edgeTTL"] as const;

/** A config file as written (after validation). */
export interface ConfigFile {
  name?: string;
  main?: string;
  port?: number;
  vars?: Record<string, unknown>;
  define?: Record<string, string>;
  parties?: Record<string, string>;
  persist?: boolean | string;
  /** yparty's own: a PostgreSQL database (`postgres://…`) instead of the LevelDB folder, with its options or not. */
  store?: string | { url?: string; queryTimeoutMs?: number };
  minify?: boolean;
  serve?: string | ServeFileConfig;
  build?: { command?: string; cwd?: string; watch?: string | string[]; alias?: Record<string, string> };
  crons?: Record<string, string>;
  listRooms?: boolean;
  durability?: "fast" | "strict";
  documentLimits?: Record<string, number>;
  trustProxy?: boolean | number;
  rooms?: string | { entry?: string; path?: string };
  game?: string | { entry?: string; path?: string; apiPath?: string };
  limits?: Record<string, number>;
  cluster?: { redis?: string; advertise?: string; leaseTtl?: number };
  [hosted: string]: unknown;
}

export interface ServeFileConfig {
  path?: string;
  build?: string | AssetBuildFileConfig;
  include?: string[];
  exclude?: string[];
  browserTTL?: number | null;
  edgeTTL?: number | null;
  singlePageApp?: boolean;
}

export interface AssetBuildFileConfig {
  entry?: string | string[];
  bundle?: boolean;
  splitting?: boolean;
  external?: string[];
  outdir?: string;
  minify?: boolean;
  alias?: Record<string, string>;
  format?: "esm" | "cjs" | "iife";
  live?: boolean;
  sourcemap?: boolean;
  define?: Record<string, string>;
  loader?: Record<string, string>;
}

export type { Shape };
