/**
 * The CLI's defaults and limits in one place (config file names, the admin API's path, token and timeouts, shutdown
 * timing); the server's own (port, host, data folder) come from the runtime, so both agree.
 */
import { DEFAULT_HOST, DEFAULT_PERSIST_DIR, DEFAULT_PORT } from "../runtime/defaults.js";

/** Every default and limit of the CLI, in one place; the server's own (port, host, data folder) are the runtime's. */
export const CliDefaults = {
  port: DEFAULT_PORT,
  host: DEFAULT_HOST,
  /** Where LevelDB data, the admin file and the build output live unless `--persist` says otherwise. */
  dataDir: DEFAULT_PERSIST_DIR,
  /** Config files looked up in the working directory, in this order. */
  configFiles: ["yparty.json", "partykit.json", "partykit.jsonc", "partykit.json5"],
  /** Env files read into `vars`; later files win. */
  envFiles: [".env", ".env.local"],
  /** File changes closer together than this trigger one rebuild. */
  watchDebounceMs: 100,
  /** Path prefix of the admin HTTP API (list, tail, delete, export). */
  adminPrefix: "/_yparty/",
  /** The admin API's 401 names it (`WWW-Authenticate`); a start whose port is taken recognises another yparty by it. */
  adminRealm: "yparty admin",
  /** File in the data folder that tells local commands where the server is and its admin token. */
  adminFile: "server.json",
  /** Bytes of randomness in a generated admin token. */
  adminTokenBytes: 24,
  /** A token given by hand shorter than this is refused: it would be guessed (a generated one has 32 characters). */
  minAdminTokenLength: 16,
  /** How long an admin command waits for the server to answer. */
  adminTimeoutMs: 10_000,
  /** Interval of the keep-alive comment on a `tail` stream, so proxies keep it open. */
  tailKeepAliveMs: 15_000,
  /** How long a cluster node waits for another's answer (its rooms for `yparty list`, a forwarded admin request). */
  clusterAskTimeoutMs: 2_000,
  /** `--lease-ttl`: how long a room's lease lives without renewal, so how soon a dead node's rooms move (seconds). */
  leaseTtlSeconds: 5,
  /**
   * An uncaught exception ends the process (its state may be half-changed); what it must give up first (a cluster's
   * leases and node key) gets this long, so its rooms move at once rather than a lease TTL later.
   */
  crashCleanupMs: 1_000,
  /** A second SIGINT/SIGTERM during shutdown exits at once; so does a shutdown slower than this. */
  shutdownTimeoutMs: 15_000,
  /**
   * A repeat signal sooner than this after the first is the same Ctrl-C delivered twice (npm/npx run scripts
   * forward it to a process that got it from the terminal already), not a second press: it does not force the exit.
   * Playwright's test runner ignores repeats for 1 s for the same reason (microsoft/playwright#7916).
   */
  repeatSignalGraceMs: 1_000,
} as const;
