/**
 * What a Durable Object's storage refuses, refused the same way by `room.storage`, so that code which works on yparty
 * works on PartyKit: the limits, error types and messages of workerd's `DurableObjectStorageOperations`
 * (src/workerd/api/actor-state.c++). A party whose `options.storageLimits` is false is not held to them (yparty's own
 * rooms and game parties, whose state may pass 128 KiB).
 */
import type { KvPutOptions } from "../../persistence/types.js";

/** A key's UTF-8 bytes. */
export const MAX_KEY_BYTES = 2048;
/** A value's serialized bytes, as documented. */
export const MAX_VALUE_BYTES = 128 * 1024;
/**
 * As enforced: workerd lets 34 bytes more through for v8 serialization's header and tags, so that a string or an
 * ArrayBuffer of exactly 128 KiB is stored.
 */
const ENFORCED_MAX_VALUE_BYTES = MAX_VALUE_BYTES + 34;
/** Keys of one `get`/`delete`, pairs of one `put`, keys one transaction writes. */
export const MAX_KEYS = 128;

const keyBytes = (key: string) => Buffer.byteLength(key, "utf8");

/** `get(key)`, `put(key, value)`, `delete(key)`. */
export function checkKey(key: unknown): void {
  if (typeof key === "string" && keyBytes(key) > MAX_KEY_BYTES) throw new RangeError(`Keys cannot be larger than ${MAX_KEY_BYTES} bytes.`);
}

/** A key of `put(entries)` or `delete(keys)`: named, as workerd names it. */
export function checkKeyOfMany(key: unknown): void {
  if (typeof key === "string" && keyBytes(key) > MAX_KEY_BYTES) {
    throw new RangeError(`Key "${key}" is larger than the limit of ${MAX_KEY_BYTES} bytes.`);
  }
}

/** `get(keys)` and `delete(keys)` ("keys"), `put(entries)` ("pairs"). */
export function checkCount(count: number, what: "keys" | "pairs"): void {
  if (count > MAX_KEYS) throw new RangeError(`Maximum number of ${what} is ${MAX_KEYS}.`);
}

/** The value check of `put(key, value)`. */
export const singleValue: KvPutOptions = {
  checkValue: (_key, bytes) => {
    if (bytes > ENFORCED_MAX_VALUE_BYTES) throw new RangeError(`Values cannot be larger than ${MAX_VALUE_BYTES} bytes.`);
  },
};

/** The value check of `put(entries)`, naming the key. */
export const valuesOfMany: KvPutOptions = {
  checkValue: (key, bytes) => {
    if (bytes > ENFORCED_MAX_VALUE_BYTES) throw new RangeError(`Value for key "${key}" is above the limit of ${MAX_VALUE_BYTES} bytes.`);
  },
};

/**
 * The keys one transaction writes: workerd refuses a write once 128 distinct keys have been written (an `Error`, not a
 * `RangeError`), checked before the write, so the put that brings it to 128 or past goes through.
 */
export class TransactionKeys {
  readonly #written = new Set<string>();

  /** Before a write: throws once 128 keys were written. */
  check(): void {
    if (this.#written.size >= MAX_KEYS) throw new Error(`Maximum number of keys modified in a transaction is ${MAX_KEYS}.`);
  }

  /** After the write's checks: its keys count. */
  note(keys: Iterable<string>): void {
    for (const key of keys) this.#written.add(key);
  }
}
