/** Builds one job's share of a batch: the operations it writes. */
export type BuildOps<Op> = () => Promise<Op[]> | Op[];

interface Job<Op> {
  build: BuildOps<Op>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * One writer's queue (one document, one room): jobs run strictly in order, and the jobs that pile up while a batch
 * is being written go out together as the next batch (group commit). A job's `build` runs just before its batch is
 * written, in queue order, so it sees the effects of every earlier job's `build`.
 */
export class WriteQueue<Op> {
  readonly #pending: Job<Op>[] = [];
  /** The running drain; cleared in the same microtask as its last look at `#pending`, so no job is ever stranded. */
  #draining: Promise<void> | null = null;

  constructor(
    private readonly commit: (ops: Op[]) => Promise<void>,
    private readonly maxJobsPerBatch: number,
  ) {}

  /** Resolves once the job's batch is committed; rejects with the build's or the commit's error. */
  enqueue(build: BuildOps<Op>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ build, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  /** Resolves when nothing is queued or being written. */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async #drain(): Promise<void> {
    try {
      // Let the caller's synchronous burst of appends join the first batch.
      await Promise.resolve();
      while (this.#pending.length > 0) {
        await this.#writeBatch(this.#pending.splice(0, this.maxJobsPerBatch));
      }
    } finally {
      this.#draining = null;
    }
  }

  async #writeBatch(jobs: Job<Op>[]): Promise<void> {
    const ops: Op[] = [];
    const built: Job<Op>[] = [];
    for (const job of jobs) {
      try {
        for (const op of await job.build()) ops.push(op); // a compaction can delete 100k+ entries: no spread
        built.push(job);
      } catch (error) {
        job.reject(error);
      }
    }
    try {
      if (ops.length > 0) await this.commit(ops);
    } catch (error) {
      for (const job of built) job.reject(error);
      return;
    }
    for (const job of built) job.resolve();
  }
}
