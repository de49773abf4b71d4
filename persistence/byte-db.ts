/** The slice of abstract-level both LevelDB engines use: byte keys, byte values. Tests may wrap it (e.g. to slow one room). */
export type BatchOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

export interface ByteRange {
  gt?: Uint8Array;
  gte?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  limit?: number;
  reverse?: boolean;
}

export interface ByteDb {
  batch(ops: BatchOp[], options?: { sync?: boolean }): Promise<void>;
  iterator(range: ByteRange): { all(): Promise<Array<[Uint8Array, Uint8Array]>> };
  keys(range: ByteRange): { all(): Promise<Uint8Array[]> };
  values(range: ByteRange): { all(): Promise<Uint8Array[]> };
  /** Many point reads in one call (LevelDB: one native call, far cheaper than a range read per key). */
  getMany?(keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>>;
}
