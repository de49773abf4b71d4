import { invalidArgument } from "./errors.js";
import type { ListOptions } from "./types.js";

/** Checks `list` options; contradicting or malformed ones are the caller's mistake, reported clearly. */
export function validateListOptions(options: ListOptions): void {
  for (const name of ["prefix", "start", "startAfter", "end"] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== "string") {
      throw invalidArgument(`list option "${name}" must be a string, got ${typeof value}`);
    }
  }
  if (options.start !== undefined && options.startAfter !== undefined) {
    throw invalidArgument('list options "start" and "startAfter" cannot be used together');
  }
  const { limit } = options;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw invalidArgument(`list option "limit" must be a non-negative integer, got ${String(limit)}`);
  }
}

/** Whether `key` passes the prefix and bound options (JavaScript string order). */
export function keyInRange(key: string, options: ListOptions): boolean {
  if (options.prefix !== undefined && !key.startsWith(options.prefix)) return false;
  if (options.start !== undefined && key < options.start) return false;
  if (options.startAfter !== undefined && key <= options.startAfter) return false;
  if (options.end !== undefined && key >= options.end) return false;
  return true;
}

/** Sorted entries → the `list` answer: filtered, ordered (reverse if asked) and limited. */
export function selectRange<V>(sorted: Iterable<[string, V]>, options: ListOptions): Array<[string, V]> {
  const selected = [...sorted].filter(([key]) => keyInRange(key, options));
  if (options.reverse) selected.reverse();
  return options.limit === undefined ? selected : selected.slice(0, options.limit);
}

export const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
