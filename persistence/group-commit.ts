/**
 * The one place where writes are coalesced: every writer (a document) queues jobs here, and the jobs waiting when
 * the engine is ready go out as one atomic commit (one LevelDB batch and one fsync; later, one PostgreSQL transaction),
 * whatever document they belong to. Consecutive small items of one writer (a document's appends) join one run, which
 * the writer turns into its share of the batch (one merged log entry per run). Engine-agnostic: the engine's part is
 * `commit(ops, writers)`; docs/persistence.md ("Group commit") describes the interface.
 */

/**
 * Writers an engine's commit refused while committing the others (PostgreSQL: a writer whose room was claimed by
 * another owner), each with the error its jobs reject with. Their operations did not land; everyone else's did.
 */
export type Refusals<W> = ReadonlyMap<W, Error>;

/** A writer's share of a batch: the operations one job writes. Runs just before its batch commits. */
export type BuildOps<Op> = () => Promise<Op[]> | Op[];

/** One document (or anything with its own order of writes) taking part in batches. */
export interface Writer<Op> {
  /**
   * Called once per batch after this writer's jobs in it are built, when they produced operations: the operations
   * that close its share (e.g. the record of the log's end after the batch). Throwing fails only this writer's jobs.
   */
  seal(): Promise<Op[]> | Op[];
  /** This writer's jobs of a batch did not land (the commit or its seal failed): forget what their builds assumed. */
  failed(): void;
}

export interface GroupCommitOptions<Op, W extends Writer<Op>> {
  /**
   * Writes `ops` atomically and durably; `writers`: those with operations in it (in the order their ops appear).
   * May leave out the operations of writers it refuses, and report them: their jobs reject, the others resolve.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: an engine that never refuses returns nothing
  commit(ops: Op[], writers: readonly W[]): Promise<Refusals<W> | void>;
  /**
   * Whether a commit that threw may have failed for one write's own operations rather than the engine's state
   * (PostgreSQL: a key past its index limit, while a lost connection is retried inside `commit`). Then the batch is
   * committed again in halves, down to single jobs, so that only the jobs whose own operations fail reject (each with
   * its own error) and everyone else's land. Each writer's jobs keep their order (halves commit one after the other);
   * a writer whose seal wrote operations is never split, as its seal closes all of its jobs. Default: never.
   */
  isolates?(error: unknown): boolean;
  /**
   * Resolves once the engine can take a commit (undefined: it can now); awaited before each batch's builds, which
   * read what they build on (a document's log end): never from a database about to change under them (LevelDB reopened
   * after a failed write, whose replay may drop what it held in memory). Rejecting (or throwing) fails the batch's
   * jobs with its error. Default: ready.
   */
  ready?(): Promise<void> | undefined;
  /** Most jobs (runs count as one) in one batch; the rest go in the next. */
  maxJobsPerBatch: number;
  /** Most items one run takes (merging grows worse than linearly with the items merged). */
  maxItemsPerRun: number;
  /**
   * Least time between the starts of two commits while several writers write jobs that may wait (`lazy`). 0: the
   * next batch starts as soon as the last one landed (it holds what arrived meanwhile). Above 0, while only lazy jobs
   * wait and writers other than the ones waiting wrote in the last batch (or several are waiting), the next batch
   * waits until this long after the last one began, so that theirs join it: fewer commits (fsyncs) for the same
   * writes; so does a lone writer that queued while the last commit was in flight (it streams). A job that is not lazy
   * ends the wait at once (it joins the next commit as without the interval); a lone writer that awaits each write,
   * or an idle store, commits at once: waiting would gather nothing.
   */
  commitIntervalMs: number;
}

/** How a job may be committed. */
export interface JobOptions {
  /**
   * Nobody waits for this job to show something (only an acknowledgement does): it may wait up to
   * `commitIntervalMs` for other writers' jobs to share its commit. Default: committed as soon as possible.
   */
  lazy?: boolean;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Job<Op> {
  build: BuildOps<Op>;
  /** One per call that queued it (a run has one, shared by its items). */
  waiters: Waiter[];
  /** Set for a run: its items; `open` while more may join; `landed`: what every `add` of it returns. */
  run?: { items: unknown[]; open: boolean; landed: Promise<void> };
  /** May wait for the commit interval (see `JobOptions.lazy`); a run is lazy while all its items are. */
  lazy: boolean;
}

const resolveJob = (job: Job<unknown>): void => job.waiters.forEach((waiter) => waiter.resolve());
const rejectJob = (job: Job<unknown>, error: unknown): void => job.waiters.forEach((waiter) => waiter.reject(error));

/** One writer's share of a batch: each built job with its operations, and the writer's seal. */
interface Share<Op, W> {
  writer: W;
  parts: Array<{ job: Job<Op>; ops: Op[] }>;
  seal: Op[];
  /** Whether its jobs wrote anything (a writer whose jobs did not has nothing to forget when they fail). */
  hasOps: boolean;
}

/** What commits or fails as one when a batch is split (`isolates`): jobs of one writer, their operations in order. */
interface Unit<Op, W> {
  writer: W;
  jobs: Job<Op>[];
  ops: Op[];
}

/** A share as units: one per job, or the whole share when its seal wrote operations (they close all of its jobs). */
function unitsOf<Op, W>({ writer, parts, seal }: Share<Op, W>): Array<Unit<Op, W>> {
  if (seal.length === 0) return parts.map(({ job, ops }) => ({ writer, jobs: [job], ops }));
  const ops: Op[] = [];
  for (const part of parts) for (const op of part.ops) ops.push(op);
  for (const op of seal) ops.push(op);
  return [{ writer, jobs: parts.map((part) => part.job), ops }];
}

/** Group commit across writers: one commit in flight at a time, each holding every job that waited for it. */
export class GroupCommitter<Op, W extends Writer<Op>> {
  /** Each writer's jobs not yet in a batch, writers in the order they first queued. */
  readonly #queued = new Map<W, Job<Op>[]>();
  #queuedJobs = 0;
  /** The running drain; cleared in the same microtask as its last look at the queue, so no job is stranded. */
  #draining: Promise<void> | null = null;
  /** Queued jobs that are not lazy: while there is one, the next commit does not wait for the interval. */
  #urgentJobs = 0;
  /** Ends the drain's wait for the commit interval early (a job that is not lazy arrived). */
  #endWait: (() => void) | null = null;
  #lastCommitAt = -Infinity;
  /** The writers of the last batch: whether others than the waiting ones are writing (see `commitIntervalMs`). */
  #lastWriters: ReadonlySet<W> = new Set();
  #committing = false;
  /** A job was queued while the last commit was in flight: its writer streams (does not await each write). */
  #queuedDuringCommit = false;

  constructor(private readonly options: GroupCommitOptions<Op, W>) {}

  /** Queues a job of `writer`; resolves once its batch has committed, rejects with its build's or the commit's error. */
  enqueue(writer: W, build: BuildOps<Op>, options?: JobOptions): Promise<void> {
    const lazy = options?.lazy === true;
    return new Promise<void>((resolve, reject) => this.#push(writer, { build, waiters: [{ resolve, reject }], lazy }));
  }

  /**
   * Queues `item` for `writer` in a run: it joins the writer's last queued job if that is a run that has not started
   * and has room, else starts one whose `build` gets all of its items (in queue order). Resolves like `enqueue`; the
   * items of one run land together and get the same promise (callers may track them as one: no promise per item).
   */
  add<T>(writer: W, item: T, build: (items: T[]) => Promise<Op[]> | Op[], options?: JobOptions): Promise<void> {
    const lazy = options?.lazy === true;
    const last = this.#queued.get(writer)?.at(-1);
    if (last?.run?.open && last.run.items.length < this.options.maxItemsPerRun) {
      last.run.items.push(item);
      if (this.#committing) this.#queuedDuringCommit = true;
      if (last.lazy && !lazy) {
        last.lazy = false;
        this.#hurry();
      }
      return last.run.landed;
    }
    let waiter!: Waiter;
    const landed = new Promise<void>((resolve, reject) => (waiter = { resolve, reject }));
    const run = { items: [item] as unknown[], open: true, landed };
    this.#push(writer, { build: () => build(run.items as T[]), waiters: [waiter], run, lazy });
    return landed;
  }

  #push(writer: W, job: Job<Op>): void {
    const jobs = this.#queued.get(writer);
    if (jobs) jobs.push(job);
    else this.#queued.set(writer, [job]);
    this.#queuedJobs++;
    if (this.#committing) this.#queuedDuringCommit = true;
    if (!job.lazy) this.#hurry();
    this.#draining ??= this.#drain();
  }

  /** A job that is not lazy was queued: no waiting for the interval while it is. */
  #hurry(): void {
    this.#urgentJobs++;
    this.#endWait?.();
  }

  async #drain(): Promise<void> {
    try {
      // Let the caller's synchronous burst join the first batch.
      await Promise.resolve();
      while (this.#queuedJobs > 0) {
        const wait = this.#lastCommitAt + this.options.commitIntervalMs - performance.now();
        if (wait > 0 && this.#urgentJobs === 0 && this.#waitGathers()) await this.#waitUpTo(wait);
        this.#lastCommitAt = performance.now();
        const batch = this.#takeBatch();
        this.#lastWriters = new Set(batch.keys());
        this.#queuedDuringCommit = false;
        await this.#commitBatch(batch);
      }
    } finally {
      this.#draining = null;
    }
  }

  /** Waits `ms`, or less if a job that is not lazy arrives meanwhile. */
  #waitUpTo(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#endWait?.(), ms);
      this.#endWait = () => {
        clearTimeout(timer);
        this.#endWait = null;
        resolve();
      };
    });
  }

  /**
   * Whether waiting could gather more writes: several writers wait now, or one of the last batch's does not, or a
   * writer queued while the last commit was in flight (it streams; one that awaits each write never does that).
   */
  #waitGathers(): boolean {
    if (this.#queued.size > 1 || this.#queuedDuringCommit) return true;
    for (const writer of this.#lastWriters) if (!this.#queued.has(writer)) return true;
    return false;
  }

  /** Up to `maxJobsPerBatch` jobs, each writer's in its order; what does not fit stays first in line. */
  #takeBatch(): Map<W, Job<Op>[]> {
    const batch = new Map<W, Job<Op>[]>();
    let room = this.options.maxJobsPerBatch;
    for (const [writer, jobs] of this.#queued) {
      if (room === 0) break;
      const taken = jobs.length <= room ? jobs : jobs.splice(0, room);
      if (taken === jobs) this.#queued.delete(writer);
      for (const job of taken) {
        if (job.run) job.run.open = false; // later items start a new run, in a later batch
        if (!job.lazy) this.#urgentJobs--;
      }
      batch.set(writer, taken);
      room -= taken.length;
      this.#queuedJobs -= taken.length;
    }
    return batch;
  }

  async #commitBatch(batch: Map<W, Job<Op>[]>): Promise<void> {
    // Until the commit settles (before its jobs resolve, so a writer awaiting each write is never taken for a stream).
    this.#committing = true;
    try {
      const ready = this.options.ready?.(); // undefined: ready now, no turn of the microtask queue spent on it
      if (ready) await ready;
    } catch (error) {
      this.#committing = false;
      for (const jobs of batch.values()) for (const job of jobs) rejectJob(job, error);
      return;
    }
    // Writers build at once (one's slow read does not hold the others up); each writer's jobs in order.
    const shares = (await Promise.all([...batch].map(([writer, jobs]) => this.#build(writer, jobs)))).filter((share) => share !== undefined);
    const failures = new Map<Job<Op>, unknown>();
    await this.#commitUnits(shares.flatMap(unitsOf), failures);
    this.#committing = false;
    for (const share of shares) {
      if (share.hasOps && share.parts.some(({ job }) => failures.has(job))) share.writer.failed();
      for (const { job } of share.parts) {
        if (failures.has(job)) rejectJob(job, failures.get(job));
        else resolveJob(job);
      }
    }
  }

  /**
   * Commits `units` as one commit and records in `failures` the jobs that did not land, with their error (the commit's,
   * or the engine's refusal of their writer). A commit the engine says may have failed for one write's own operations
   * (`isolates`) is tried again in halves, the first before the second, until the failing units stand alone.
   */
  async #commitUnits(units: Array<Unit<Op, W>>, failures: Map<Job<Op>, unknown>): Promise<void> {
    const ops: Op[] = [];
    const writers: W[] = [];
    for (const unit of units) {
      if (unit.ops.length === 0) continue;
      for (const op of unit.ops) ops.push(op); // a compaction can delete 100k+ entries: no spread
      if (writers.at(-1) !== unit.writer) writers.push(unit.writer); // a writer's units are consecutive
    }
    let refused: Refusals<W> | undefined;
    try {
      refused = ops.length > 0 ? ((await this.options.commit(ops, writers)) ?? undefined) : undefined;
    } catch (error) {
      if (units.length > 1 && this.options.isolates?.(error)) {
        const half = Math.ceil(units.length / 2);
        await this.#commitUnits(units.slice(0, half), failures);
        await this.#commitUnits(units.slice(half), failures);
        return;
      }
      for (const unit of units) for (const job of unit.jobs) failures.set(job, error);
      return;
    }
    for (const unit of units) {
      const refusal = refused?.get(unit.writer);
      if (refusal) for (const job of unit.jobs) failures.set(job, refusal);
    }
  }

  /** One writer's share: its jobs' operations and its seal. A job whose build throws fails alone. */
  async #build(writer: W, jobs: Job<Op>[]): Promise<Share<Op, W> | undefined> {
    const parts: Array<{ job: Job<Op>; ops: Op[] }> = [];
    for (const job of jobs) {
      try {
        const built = job.build(); // a build that needs no read returns its operations: no turn spent awaiting them
        parts.push({ job, ops: Array.isArray(built) ? built : await built });
      } catch (error) {
        rejectJob(job, error);
      }
    }
    const hasOps = parts.some((part) => part.ops.length > 0);
    if (!hasOps) return { writer, parts, seal: [], hasOps };
    try {
      const seal = writer.seal();
      return { writer, parts, seal: Array.isArray(seal) ? seal : await seal, hasOps };
    } catch (error) {
      writer.failed();
      for (const { job } of parts) rejectJob(job, error);
      return undefined;
    }
  }
}
