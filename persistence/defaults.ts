/** Every tunable of the persistence layer, in one place. */
export const defaults = {
  /**
   * Fsync every LevelDB batch, so a resolved write also survives power loss and OS crashes (without it, only process
   * crashes). Group commit keeps the cost small; figures and reasoning in docs/persistence.md.
   */
  sync: true,
  /**
   * Most jobs committed together in one batch, across documents (group commit, persistence/group-commit.ts); a run of
   * one document's consecutive appends counts as one job.
   */
  maxJobsPerBatch: 512,
  /**
   * Most appends of one document merged into one log entry. `Y.mergeUpdates` re-sorts all its inputs for every
   * struct, so its cost grows worse than linearly: a burst of appends becomes several entries of this many each.
   */
  maxUpdatesPerEntry: 64,
  /**
   * Least time between the starts of two commits while several documents write lazy appends (`AppendOptions.lazy`:
   * durability "fast", where the others have the change already and only durable acks wait;
   * persistence/group-commit.ts). While only such writes wait, the next batch waits until this long after the last
   * one began, so other documents' writes join it: at the fan-out load (500 updates/s over 10 rooms) up to ~50
   * appends (500/s × 100 ms) share a batch and its fsync instead of one, and durable acks (and POSTs' answers) come up
   * to this much later: after `kill -9`, up to this much of a fast room's changes that others saw but nobody
   * acknowledged may be gone (strict durability never waits for it). Any other write (strict durability, compaction,
   * deletion) ends the wait; a lone writer that awaits each write and an idle store commit at once. 0: natural group
   * commit only (a batch goes out as soon as the last one landed, holding what arrived meanwhile). LevelDB's cost is
   * per commit, not per append (~1 ms of user and ~1.3 ms of kernel CPU per commit at the fan-out's pace on this
   * machine), so it falls with the commits per second: LevelDB's fan-out CPU against memory's was 1.36–1.80× at 10 ms,
   * 1.14–1.35× at 50 ms and 1.08–1.23× at 100 ms in the runs measured: docs/benchmarks.md (issue 13, fourth, fifth and
   * seventh sessions).
   */
  commitIntervalMs: 100,
  /**
   * Logs longer than this are merged for loading through a Y.Doc rather than `Y.mergeUpdates`, whose cost grows with
   * the square of the number of updates.
   */
  mergeInDocAbove: 64,
  /**
   * A load that reads more log entries than this compacts the document in the background with the state it just
   * merged (y-leveldb trims at 500 the same way). `Infinity` turns it off.
   */
  compactOnLoadAbove: 500,
  /**
   * Documents whose log state (last clock, size, corrupt entries) the LevelDB store keeps while nothing is read or
   * written for them. Past it, the least recently used idle ones are dropped and read again from disk when next used,
   * so a long-running server does not grow with every document it ever touched.
   */
  idleLogsKept: 1000,
  /**
   * The ack journal (persistence/ack-journal.ts) is rewritten with one line per document once it grows past this
   * (it is started afresh on every open, so only a long-running server gets there).
   */
  ackJournalMaxBytes: 4 * 1024 * 1024,
  /**
   * After a failed write the database is reopened before the next one (persistence/write-guard.ts), once the disk has
   * this much free beyond the size of LevelDB's log: the reopen replays the log into a table.
   */
  reopenMinFreeBytes: 1024 * 1024,
  /** Documents checked at once when the storage opens (the ack journal's) and by `yparty doctor`. */
  checkConcurrency: 4,
  /** Name of the LevelDB sublevel that holds every room's key-value store. */
  kvSublevel: "kv",
} as const;
