/**
 * The parts of room.storage's `list` that need no engine: its options checked (for every engine, before a read), and
 * sorted entries filtered, ordered and limited in Durable Objects' key order (for the memory backend, and for a
 * transaction, which merges its staged writes into what the room holds).
 */
import { invalidArgument } from "./errors.js";
import { orderOfUnit } from "./kv-codec.js";
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

/** Whether `key` passes the prefix and bound options (in `compareKeys` order). */
export function keyInRange(key: string, options: ListOptions): boolean {
  if (options.prefix !== undefined && !key.startsWith(options.prefix)) return false;
  if (options.start !== undefined && compareKeys(key, options.start) < 0) return false;
  if (options.startAfter !== undefined && compareKeys(key, options.startAfter) <= 0) return false;
  if (options.end !== undefined && compareKeys(key, options.end) >= 0) return false;
  return true;
}

/** Sorted entries → the `list` answer: filtered, ordered (reverse if asked) and limited. */
export function selectRange<V>(sorted: Iterable<[string, V]>, options: ListOptions): Array<[string, V]> {
  const selected = [...sorted].filter(([key]) => keyInRange(key, options));
  if (options.reverse) selected.reverse();
  return options.limit === undefined ? selected : selected.slice(0, options.limit);
}

/**
 * Durable Objects' key order: their keys' UTF-8 bytes, which is code point order, not JavaScript's (UTF-16 code unit)
 * order: "\u{1F600}" sorts after "\uFFFD". The order of the bytes `encodeKey` stores (kv-codec.ts).
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return orderOfUnit(x) - orderOfUnit(y);
  }
  return a.length - b.length;
}
