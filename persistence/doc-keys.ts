/**
 * Document keys in y-leveldb's own layout (`['v1', name, 'update', clock]` for the log, `['v1_sv', name]` for the
 * per-document index entry), in y-leveldb's key encoding. A yparty folder's documents can therefore be read by
 * y-leveldb's `LeveldbPersistence` and the other way round (test/persistence/stored-data.test.ts checks both ways and
 * the keys byte for byte against y-leveldb's `keyEncoding`).
 *
 * The encoding is written out here rather than imported from y-leveldb: importing y-leveldb loads `level` and its
 * native binding, and these keys are also needed where no LevelDB is (the memory store's damage records, via
 * persistence/errors.ts), so `yparty start --no-persist` would pay for LevelDB at every start.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";

const CLOCK_LIMIT = 0x1_0000_0000; // clocks are stored as unsigned 32-bit big-endian numbers

/** y-leveldb's tags of a key part: a string is `0, varString`, a number `1, uint32 big-endian`. */
const STRING_PART = 0;
const NUMBER_PART = 1;

const encode = (parts: Array<string | number>): Uint8Array => {
  const encoder = encoding.createEncoder();
  for (const part of parts) {
    if (typeof part === "string") {
      encoding.writeUint8(encoder, STRING_PART);
      encoding.writeVarString(encoder, part);
    } else {
      encoding.writeUint8(encoder, NUMBER_PART);
      encoding.writeUint32BigEndian(encoder, part);
    }
  }
  return encoding.toUint8Array(encoder);
};

/** The parts of a key (the inverse of `encode`). */
const decode = (key: Uint8Array): Array<string | number> => {
  const decoder = decoding.createDecoder(key);
  const parts: Array<string | number> = [];
  while (decoding.hasContent(decoder)) {
    parts.push(decoding.readUint8(decoder) === STRING_PART ? decoding.readVarString(decoder) : decoding.readUint32BigEndian(decoder));
  }
  return parts;
};

export const updateKey = (name: string, clock: number): Uint8Array => encode(["v1", name, "update", clock]);

/**
 * `updateKey` for one document, its name encoded once: the encoding is the parts' encodings one after another, so a
 * clock's key is the encoded `['v1', name, 'update']` followed by the number's (1, uint32 big-endian).
 */
export function updateKeyOf(name: string): (clock: number) => Uint8Array {
  const prefix = encode(["v1", name, "update"]);
  const at = prefix.length;
  return (clock) => {
    const key = new Uint8Array(at + 5);
    key.set(prefix);
    key[at] = NUMBER_PART;
    // Byte by byte, big-endian: a DataView over `key.buffer` would move the small array out of V8's heap first.
    key[at + 1] = clock >>> 24;
    key[at + 2] = (clock >>> 16) & 0xff;
    key[at + 3] = (clock >>> 8) & 0xff;
    key[at + 4] = clock & 0xff;
    return key;
  };
}

/** Bounds of one document's update log. */
export const logRange = (name: string): { gte: Uint8Array; lt: Uint8Array } => ({
  gte: updateKey(name, 0),
  lt: updateKey(name, CLOCK_LIMIT - 1),
});

/** Bounds of everything y-leveldb keeps for one document (log and metadata), its index entry excluded. */
export const documentRange = (name: string): { gte: Uint8Array; lt: Uint8Array } => ({
  gte: encode(["v1", name]),
  lt: encode(["v1", name, "zzzzzzz"]),
});

/** A key in y-leveldb's metadata space of a document (what its `setMeta` writes; ignored by its other calls). */
const metaKey = (name: string, key: string): Uint8Array => encode(["v1", name, "meta", key]);

/** yparty's seal of a document's lone log entry (persistence/seal.ts), in y-leveldb's metadata space. */
export const sealKey = (name: string): Uint8Array => metaKey(name, "yparty:seal");

/** yparty's record of the log's end as of its last write (persistence/ack-record.ts). */
export const ackedKey = (name: string): Uint8Array => metaKey(name, "yparty:acked");

/** yparty's mark on a document found missing acknowledged writes (persistence/ack-record.ts). */
export const damageKey = (name: string): Uint8Array => metaKey(name, "yparty:damaged");

/** Bounds of one document's metadata space ("meta" and "metb" encode to the same length). */
export const metaRange = (name: string): { gte: Uint8Array; lt: Uint8Array } => ({
  gte: encode(["v1", name, "meta"]),
  lt: encode(["v1", name, "metb"]),
});

export const indexKey = (name: string): Uint8Array => encode(["v1_sv", name]);

/** Bounds of all index entries, i.e. of all document names. */
export const indexRange = { gte: encode(["v1_sv"]), lt: encode(["v1_sw"]) };

/** An update key ends with its clock as a uint32 big-endian: read those 4 bytes (decoding the whole key is slow). */
export const clockOfKey = (key: Uint8Array): number => new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(key.byteLength - 4);
export const nameOfIndexKey = (key: Uint8Array): string => decode(key)[1] as string;

/** y-leveldb's index value: the clock the state vector was taken at, then the state vector. */
export function encodeIndexValue(stateVector: Uint8Array, clock: number): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, clock);
  encoding.writeVarUint8Array(encoder, stateVector);
  return encoding.toUint8Array(encoder);
}

export function decodeIndexValue(value: Uint8Array): { clock: number; stateVector: Uint8Array } {
  const decoder = decoding.createDecoder(value);
  const clock = decoding.readVarUint(decoder);
  return { clock, stateVector: decoding.readVarUint8Array(decoder) };
}

export const isClockInRange = (clock: number): boolean => clock < CLOCK_LIMIT - 1;
