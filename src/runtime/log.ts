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

/** Errors do not survive JSON.stringify; keep their name, message, code and stack. */
function serializeFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? serializeError(value) : value;
  }
  return out;
}

function serializeError(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(code !== undefined ? { code } : {}), stack: error.stack };
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
