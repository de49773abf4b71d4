/** Every tunable of the persistence layer, in one place. */
export const defaults = {
  /** Fsync every LevelDB batch. Off: a resolved write is in the OS and survives a process crash (see docs/persistence.md). */
  sync: false,
  /** Most appends of one document committed together in one LevelDB batch (group commit). */
  maxAppendsPerBatch: 512,
  /** Name of the LevelDB sublevel that holds every room's key-value store. */
  kvSublevel: "kv",
} as const;
