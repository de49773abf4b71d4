/**
 * Key-value encoding. Values: `v8.serialize` (structured clone: Map, Set, Date, Uint8Array, nested objects).
 * Keys (`encodeKey`): UTF-16 big-endian code units with those from U+D800 up rotated (`orderOfUnit`), so
 * that byte order is Durable Objects' key order (their keys' UTF-8 bytes: code point order, where an astral character
 * sorts after U+E000–U+FFFF) while every JavaScript string, lone surrogates included, keeps its own key. Behind a
 * length-prefixed room id (plain UTF-16 BE) so no room's keys can ever fall inside another room's range, whatever the
 * key or the room id. Data folders of format 1 and PostgreSQL schema 1 held keys in plain UTF-16 BE (JavaScript's
 * string order): opening them re-encodes the keys that differ (`reencodedKey`).
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

/** Units from U+D800 up (surrogates, U+E000–U+FFFF): the only ones `encodeKey` stores otherwise than UTF-16 BE. */
const ROTATED_UNITS = /[\uD800-\uFFFF]/;

/** A storage key as stored: byte order is code point order (see above). */
export function encodeKey(key: string): Buffer {
  const bytes = encodeString(key);
  if (!ROTATED_UNITS.test(key)) return bytes;
  for (let i = 0; i < bytes.length; i += 2) bytes.writeUInt16BE(orderOfUnit(bytes.readUInt16BE(i)), i);
  return bytes;
}

/** The key `encodeKey` stored as `bytes`. */
export function decodeKey(bytes: Uint8Array): string {
  const units = Buffer.from(bytes); // a copy, turned back in place
  for (let i = 0; i + 1 < units.length; i += 2) if (units[i]! >= 0xd8) units.writeUInt16BE(unitOfOrder(units.readUInt16BE(i)), i);
  return units.swap16().toString("utf16le");
}

/**
 * A code unit's rank in code point order: U+E000–U+FFFF move down by 0x800 and surrogates up by 0x2000, so a surrogate
 * pair (an astral code point) ranks above every BMP character and the first unit two strings differ in orders them
 * as their code points (and so as their UTF-8 bytes) do.
 */
export function orderOfUnit(unit: number): number {
  return unit < 0xd800 ? unit : unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

function unitOfOrder(rank: number): number {
  return rank < 0xd800 ? rank : rank >= 0xf800 ? rank - 0x2000 : rank + 0x800;
}

/**
 * The stored bytes of a key format 1 stored as `legacy` (plain UTF-16 BE), or `undefined` when they are the same. Bytes
 * of an odd length are no string's (not a key yparty wrote: damage, another tool): left as they are, rather than fail
 * every start of the upgrade that met them (decodeString threw "Buffer size must be a multiple of 16-bits").
 */
export function reencodedKey(legacy: Uint8Array): Buffer | undefined {
  if (legacy.length % 2 !== 0) return undefined;
  for (let i = 0; i < legacy.length; i += 2) if (legacy[i]! >= 0xd8) return encodeKey(decodeString(legacy));
  return undefined;
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

/** Bytes of the room prefix (`roomPrefix`) a stored key starts with, as its first 4 bytes say (the key has them). */
export function roomPrefixBytes(key: Uint8Array): number {
  return 4 + 2 * Buffer.from(key.buffer, key.byteOffset, key.byteLength).readUInt32BE(0);
}

/** The room a stored key belongs to (the inverse of `roomPrefix`, read from the key's start). */
export function roomOfKey(key: Uint8Array): string {
  return decodeString(key.subarray(4, roomPrefixBytes(key)));
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
