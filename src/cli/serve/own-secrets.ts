/**
 * Party code runs in yparty's own process, so its `process.env` is the host's environment (plus `.env`): a self-hosted
 * project may read host variables on purpose, and keeps them. yparty's own secrets are not the project's: the admin
 * token (also a cluster's shared secret), the PostgreSQL store's password and the Redis URL's. Before any project code
 * runs (the build command, the parties), every variable holding one of them (`YPARTY_ADMIN_TOKEN`, `PGPASSWORD`, a
 * `DATABASE_URL` with the store's password) leaves process.env, and process.argv shows them as `***`: a template that
 * logs process.env at start (PartyKit's basic example) no longer writes them to the log.
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
  argv.forEach((arg, index) => {
    const equals = arg.indexOf("=");
    if (holds(arg)) argv[index] = "***";
    else if (arg.startsWith("--") && equals > 0 && holds(arg.slice(equals + 1))) argv[index] = `${arg.slice(0, equals)}=***`;
  });
  return { ...(fromEnv !== undefined ? { storePassword: fromEnv } : {}), variables };
}
