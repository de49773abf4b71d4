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
