/**
 * Party code runs in yparty's own process, so its `process.env` is the host's environment (plus `.env`): a self-hosted
 * project may read host variables on purpose, and keeps them. yparty's own secrets are not the project's: the admin
 * token (also a cluster's shared secret), the PostgreSQL store's password and the Redis URL's. Before any project code
 * runs (the build command, the parties), every variable holding one of them (`YPARTY_ADMIN_TOKEN`, `PGPASSWORD`, a
 * `DATABASE_URL` with the store's password) leaves process.env, and process.argv shows them as `***` (a URL keeps
 * the rest: `postgres://app:***@db/app`): a template that logs process.env at start (PartyKit's basic example) no
 * longer writes them to the log. `ps` and /proc/<pid>/cmdline read the process's original argv memory, not
 * process.argv: the masked command line is written there too (showCommandLine).
 */
import { passwordOf } from "../../../persistence/pg/url.js";

export interface OwnSecrets {
  adminToken?: string | undefined;
  /** The `--store` / `store` URL. */
  storeUrl?: string | undefined;
  /** The cluster's Redis URL. */
  redisUrl?: string | undefined;
}

export interface Withdrawn {
  /** The store's password when its URL has none: $PGPASSWORD as read before it left, for pg's later connections. */
  storePassword?: string;
  /** The names of the variables taken out of process.env. */
  variables: string[];
  /** Whether an argument held a secret (now masked in argv). */
  maskedArguments: boolean;
}

export function withdrawOwnSecrets(own: OwnSecrets, env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv): Withdrawn {
  const fromEnv = own.storeUrl !== undefined && passwordOf(own.storeUrl) === undefined ? env.PGPASSWORD || undefined : undefined;
  const storePassword = own.storeUrl !== undefined ? (passwordOf(own.storeUrl) ?? fromEnv) : undefined;
  const secrets = [own.adminToken, storePassword, own.redisUrl === undefined ? undefined : passwordOf(own.redisUrl)].filter(
    (secret): secret is string => secret !== undefined && secret !== "",
  );
  // A variable holds a secret when it is one, or is a URL carrying one as its password.
  const holds = (value: string | undefined) => value !== undefined && value !== "" && secrets.some((s) => value === s || passwordOf(value) === s);
  // pg reads the other PG* variables (PGUSER, PGHOST…) at each new connection of the store: they stay, even one
  // whose value happens to equal the password (PGUSER=postgres with the password "postgres").
  const variables = Object.keys(env).filter((name) => (name === "PGPASSWORD" || !name.startsWith("PG")) && holds(env[name]));
  for (const name of variables) delete env[name];
  let maskedArguments = false;
  argv.forEach((arg, index) => {
    const equals = arg.indexOf("=");
    const masked = holds(arg)
      ? masking(arg)
      : arg.startsWith("--") && equals > 0 && holds(arg.slice(equals + 1))
        ? `${arg.slice(0, equals + 1)}${masking(arg.slice(equals + 1))}`
        : arg;
    maskedArguments ||= masked !== arg;
    argv[index] = masked;
  });
  return { ...(fromEnv !== undefined ? { storePassword: fromEnv } : {}), variables, maskedArguments };
}

/** A secret as shown: `***`; a URL carrying one keeps the rest, so the command line still says which database. */
function masking(value: string): string {
  try {
    const url = new URL(value);
    if (!url.password && !url.searchParams.has("password")) return "***";
    if (url.password) url.password = "***";
    if (url.searchParams.has("password")) url.searchParams.set("password", "***");
    return url.toString();
  } catch {
    return "***";
  }
}

/**
 * Shows `argv` (masked) as the process's command line to `ps` and /proc/<pid>/cmdline, which read the memory the
 * process was started with. On Linux, setting process.title makes libuv write the title over that memory (the bytes
 * of all the original arguments, the rest zeroed; a longer title is cut there), so the original arguments are gone;
 * the title's first 15 bytes also become the process name (`ps -o comm`). "yparty" stands for `node …/yparty.js`,
 * which keeps the title shorter than what it overwrites. (Checked on Linux: test/cli/h97-process-env.test.ts.)
 */
export function showCommandLine(argv: string[] = process.argv): void {
  process.title = ["yparty", ...argv.slice(2)].join(" ");
}
