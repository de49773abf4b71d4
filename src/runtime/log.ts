/**
 * The runtime's structured logger: JSON lines (`json: true`) or a readable one-liner, plus live
 * subscribers (`yparty tail`). Every runtime error entry carries `code`, `party` and `room`.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogEntry {
  time: string;
  level: LogLevel;
  event: string;
  [field: string]: unknown;
}

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  /** Calls `fn` with every entry at or above the logger's level; returns the unsubscribe function. */
  subscribe(fn: (entry: LogEntry) => void): () => void;
}

export interface LoggerOptions {
  json?: boolean;
  /** Entries below this level are dropped. Default "info". */
  level?: LogLevel;
  /** Where lines go. Default: stderr. */
  write?: (line: string) => void;
}

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(options: LoggerOptions = {}): Logger {
  const minRank = LEVEL_RANK[options.level ?? "info"];
  const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const format = options.json ? formatJson : formatReadable;
  const subscribers = new Set<(entry: LogEntry) => void>();

  const log =
    (level: LogLevel) =>
    (event: string, fields: Record<string, unknown> = {}) => {
      if (LEVEL_RANK[level] < minRank) return;
      const entry: LogEntry = { time: new Date().toISOString(), level, event, ...serializeFields(fields) };
      write(format(entry));
      for (const fn of subscribers) {
        try {
          fn(entry);
        } catch {
          // A broken subscriber must not break logging for the others.
        }
      }
    };

  return {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    subscribe(fn) {
      subscribers.add(fn);
      return () => void subscribers.delete(fn);
    },
  };
}

/**
 * Errors do not survive JSON.stringify; keep their name, message, code and stack. A URL field (`url`, `…Url`) is
 * logged with its credentials redacted, whichever site logs it (loggedUrl).
 */
function serializeFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) out[key] = serializeError(value);
    else if (/^url$|Url$|URL$/.test(key) && (typeof value === "string" || value instanceof URL)) out[key] = loggedUrl(String(value));
    else out[key] = value;
  }
  return out;
}

/**
 * Query parameter names whose values are credentials: what clients put in a socket's URL because browsers cannot set
 * its headers (partysocket's `query`, y-partykit's `params`: `?token=`, `auth`, `key`, `password`, `access_token`…).
 * Matched anywhere in the name, case aside: a redacted harmless value costs nothing, a logged secret does.
 */
const SECRET_PARAM = /token|auth|key|pass|secret|session|sig|credential|jwt|cookie/i;
export const REDACTED = "[redacted]";

/**
 * `url` as logged: the value of every query parameter named like a credential, and a password in its user info,
 * replaced by `[redacted]`; the rest kept as written (nothing re-encoded), so the log still shows which request it was.
 */
export function loggedUrl(url: string): string {
  const withoutPassword = url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/i, `$1:${REDACTED}@`);
  const query = withoutPassword.indexOf("?");
  if (query === -1) return withoutPassword;
  const hash = withoutPassword.indexOf("#", query);
  const end = hash === -1 ? withoutPassword.length : hash;
  const pairs = withoutPassword
    .slice(query + 1, end)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      return eq > 0 && SECRET_PARAM.test(decodedName(pair.slice(0, eq))) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    });
  return `${withoutPassword.slice(0, query + 1)}${pairs.join("&")}${withoutPassword.slice(end)}`;
}

/** A query name as the server's URL parser reads it (`%74oken` is `token`). */
function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}

/** A URL written inside a text (an error's message: "could not reach https://…?token=…"), up to a blank or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** `text` with every URL in it as logged (loggedUrl). */
const withLoggedUrls = (text: string): string => text.replace(URL_IN_TEXT, loggedUrl);

function serializeError(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  const message = withLoggedUrls(error.message);
  const stack = error.stack === undefined ? undefined : withLoggedUrls(error.stack);
  return { name: error.name, message, ...(code !== undefined ? { code } : {}), stack };
}

function formatJson(entry: LogEntry): string {
  return JSON.stringify(entry);
}

function formatReadable(entry: LogEntry): string {
  const { time, level, event, error, ...rest } = entry;
  const pairs = Object.entries(rest).map(([key, value]) => `${key}=${formatValue(value)}`);
  const head = `${time} ${level.toUpperCase().padEnd(5)} ${event}${pairs.length ? ` ${pairs.join(" ")}` : ""}`;
  const stack = (error as { stack?: string } | undefined)?.stack;
  return error === undefined ? head : `${head}\n${stack ?? formatValue(error)}`;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

/** A logger that drops everything (tests, embedding). */
export function silentLogger(): Logger {
  return createLogger({ level: "error", write: () => {} });
}
