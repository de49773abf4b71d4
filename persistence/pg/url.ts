/** PostgreSQL connection URLs as yparty shows them: never with their password. */

/** Whether `store` names a PostgreSQL database rather than a folder. */
export const isPostgresUrl = (store: string): boolean => /^postgres(ql)?:\/\//i.test(store);

/** The URL without its password, for messages and logs (`postgres://user@host:5432/db`). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "";
    // pg takes the password from the query too (`?password=…`, also as libpq's `sslpassword`)
    for (const key of [...parsed.searchParams.keys()]) if (/password/i.test(key)) parsed.searchParams.set(key, "***");
    return parsed.toString().replace(/:@/, "@");
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1@");
  }
}

/** The password a URL carries (in its user info or, as pg reads it, as `?password=`), or undefined. */
export function passwordOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return (parsed.password ? decodeURIComponent(parsed.password) : parsed.searchParams.get("password")) || undefined;
  } catch {
    return /\/\/[^:/@]*:([^@]+)@/.exec(url)?.[1];
  }
}

/**
 * `url` with `password` as its `?password=` (pg reads it there) when it carries none: pg would otherwise read
 * $PGPASSWORD at each new connection, after the CLI took it out of process.env (src/cli/serve/own-secrets.ts).
 */
export function withPassword(url: string, password: string | undefined): string {
  if (password === undefined || passwordOf(url) !== undefined) return url;
  return `${url}${url.includes("?") ? "&" : "?"}password=${encodeURIComponent(password)}`;
}
