/**
 * Key-value encoding. Values: `v8.serialize` (structured clone: Map, Set, Date, Uint8Array, nested objects).
 * Keys: UTF-16 big-endian code units, so LevelDB's byte order is exactly JavaScript's string order (UTF-8 would
 * sort astral characters after U+E000–U+FFFF), behind a length-prefixed room id so no room's keys can ever fall
 * inside another room's range, whatever the key or the room id.
 */
import * as v8 from "node:v8";
import { invalidArgument } from "./errors.js";

export function serializeValue(key: string, value: unknown): Uint8Array {
  try {
    return v8.serialize(value);
  } catch (error) {
    throw invalidArgument(`The value of ${JSON.stringify(key)} cannot be stored: structured clone cannot copy it`, error);
  }
}

/** Throws what `v8.deserialize` throws; callers turn that into ERR_STORAGE_CORRUPT. */
export const deserializeValue = (bytes: Uint8Array): unknown => v8.deserialize(bytes);

export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== "string") throw invalidArgument(`A storage key must be a string, got ${typeof key}`);
}

export function encodeString(text: string): Buffer {
  return Buffer.from(text, "utf16le").swap16();
}

export function decodeString(bytes: Uint8Array): string {
  return Buffer.from(bytes).swap16().toString("utf16le");
}

/** `[code units as uint32 BE][room as UTF-16 BE]`: prefix-free, so rooms never overlap. */
export function roomPrefix(room: string): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(room.length);
  return Buffer.concat([length, encodeString(room)]);
}

/** The room a stored key belongs to (the inverse of `roomPrefix`, read from the key's start). */
export function roomOfKey(key: Uint8Array): string {
  const length = Buffer.from(key.buffer, key.byteOffset, key.byteLength).readUInt32BE(0);
  return decodeString(key.subarray(4, 4 + 2 * length));
}

/** The smallest byte string above every string that starts with `prefix` (`null`: no such bound). */
export function prefixUpperBound(prefix: Uint8Array): Buffer | null {
  const bound = Buffer.from(prefix);
  for (let i = bound.length - 1; i >= 0; i--) {
    if (bound[i]! < 0xff) {
      bound[i]! += 1;
      return bound.subarray(0, i + 1);
    }
  }
  return null;
}
