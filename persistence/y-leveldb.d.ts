/**
 * Types for the parts of y-leveldb that yparty's tests use (they check that a yparty folder and y-leveldb read each
 * other's documents). y-leveldb ships types, but its `exports` map has no "types" condition, so NodeNext resolution
 * cannot find them.
 */
declare module "y-leveldb" {
  import type * as Y from "yjs";
  /** y-leveldb's key encoding: strings as `0, varString`, numbers as `1, uint32 big-endian`. */
  export const keyEncoding: {
    encode(parts: Array<string | number>): Uint8Array;
    decode(bytes: Uint8Array): Array<string | number>;
  };
  export class LeveldbPersistence {
    constructor(location: string);
    getYDoc(name: string): Promise<Y.Doc>;
    storeUpdate(name: string, update: Uint8Array): Promise<number>;
    getAllDocNames(): Promise<string[]>;
    getMeta(name: string, metaKey: string): Promise<unknown>;
    /** Merges the log into one update (its own compaction). */
    flushDocument(name: string): Promise<void>;
    destroy(): Promise<void>;
  }
}
