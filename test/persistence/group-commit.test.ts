import { afterEach, describe, expect, it, vi } from "vitest";
import { GroupCommitter, type Writer } from "../../persistence/group-commit.js";
import { withTimeout } from "./helpers.js";

/** A writer that closes its share of each batch with a `${name}:sealed` op, and counts its failures. */
class NamedWriter implements Writer<string> {
  failures = 0;
  failSeal = false;
  constructor(readonly name: string) {}
  seal(): string[] {
    if (this.failSeal) throw new Error(`seal of ${this.name} failed`);
    return [`${this.name}:sealed`];
  }
  failed(): void {
    this.failures++;
  }
}

/** A committer whose commits are recorded (it is pure: no LevelDB needed). */
function recording(
  options: {
    maxJobsPerBatch?: number;
    maxItemsPerRun?: number;
    commitIntervalMs?: number;
    failCommit?: (ops: string[]) => boolean;
    /** Writers the commit refuses (as PostgreSQL refuses a fenced one): their ops are left out. */
    refuse?: ReadonlySet<string>;
    /** Failed commits may be one write's fault (PostgreSQL): they are split to find it. */
    isolates?: boolean;
  } = {},
) {
  const commits: Array<{ ops: string[]; writers: string[] }> = [];
  const committer = new GroupCommitter<string, NamedWriter>({
    async commit(ops, writers) {
      if (options.failCommit?.(ops)) throw new Error(`commit of ${ops.join(",")} failed`);
      if (!options.refuse) return void commits.push({ ops, writers: writers.map((writer) => writer.name) });
      const refused = writers.filter((writer) => options.refuse?.has(writer.name));
      const kept = writers.filter((writer) => !refused.includes(writer));
      commits.push({ ops: ops.filter((op) => kept.some((w) => op.startsWith(w.name))), writers: kept.map((writer) => writer.name) });
      return new Map(refused.map((writer) => [writer, new Error(`${writer.name} refused`)]));
    },
    maxJobsPerBatch: options.maxJobsPerBatch ?? 512,
    maxItemsPerRun: options.maxItemsPerRun ?? 64,
    commitIntervalMs: options.commitIntervalMs ?? 0,
    isolates: () => options.isolates === true,
  });
  return { committer, commits };
}

/** A writer whose seal writes nothing (PostgreSQL's): its jobs of a batch can land apart. */
class UnsealedWriter extends NamedWriter {
  override seal(): string[] {
    return [];
  }
}

const job = (op: string) => () => [op];
/** The interval is judged on a clock only the test moves: a loaded machine's late turn cannot end it early. */
const testClock = () => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
const LAZY = { lazy: true };
const joined = (items: string[]) => [items.join("+")];

afterEach(() => {
  vi.useRealTimers();
});

describe("GroupCommitter (cross-document group commit)", () => {
  it("commits the jobs of every writer waiting together as one batch, each writer's share sealed", async () => {
    const { committer, commits } = recording();
    const a = new NamedWriter("a");
    const b = new NamedWriter("b");
    await Promise.all([committer.enqueue(a, job("a1")), committer.enqueue(b, job("b1")), committer.enqueue(a, job("a2"))]);
    expect(commits).toEqual([{ ops: ["a1", "a2", "a:sealed", "b1", "b:sealed"], writers: ["a", "b"] }]);
  });

  it("keeps each writer's order across batches, what arrives during a commit going in the next", async () => {
    const { committer, commits } = recording();
    const a = new NamedWriter("a");
    const b = new NamedWriter("b");
    let entered!: () => void;
    let release!: () => void;
    const building = new Promise<void>((resolve) => (entered = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const first = committer.enqueue(a, async () => (entered(), await released, ["a1"]));
    await building; // the first batch is being built
    const later = [committer.enqueue(b, job("b1")), committer.enqueue(a, job("a2")), committer.enqueue(a, job("a3"))];
    release();
    await Promise.all([first, ...later]);
    expect(commits.map((c) => c.ops)).toEqual([
      ["a1", "a:sealed"],
      ["b1", "b:sealed", "a2", "a3", "a:sealed"],
    ]);
  });

  it("joins a writer's consecutive items into runs of at most maxItemsPerRun, one build each", async () => {
    const { committer, commits } = recording({ maxItemsPerRun: 3 });
    const a = new NamedWriter("a");
    const b = new NamedWriter("b");
    const added = ["1", "2", "3", "4"].map((item) => committer.add(a, item, joined));
    const between = committer.enqueue(a, job("compact")); // ends the run: later items start another
    const after = ["5", "6"].map((item) => committer.add(a, item, joined));
    const other = committer.add(b, "x", joined);
    await Promise.all([...added, between, ...after, other]);
    expect(commits.map((c) => c.ops)).toEqual([["1+2+3", "4", "compact", "5+6", "a:sealed", "x", "b:sealed"]]);
  });

  it("fails only the job whose build throws: the writer's other jobs and other writers land", async () => {
    const { committer, commits } = recording();
    const a = new NamedWriter("a");
    const b = new NamedWriter("b");
    const results = await Promise.allSettled([
      committer.enqueue(a, job("a1")),
      committer.enqueue(a, () => {
        throw new Error("bad build");
      }),
      committer.enqueue(b, job("b1")),
      committer.enqueue(a, job("a2")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(commits).toEqual([{ ops: ["a1", "a2", "a:sealed", "b1", "b:sealed"], writers: ["a", "b"] }]);
  });

  it("fails a writer whose seal throws, alone: its jobs reject and it is told, the others land", async () => {
    const { committer, commits } = recording();
    const a = new NamedWriter("a");
    const b = new NamedWriter("b");
    a.failSeal = true;
    const results = await Promise.allSettled([committer.enqueue(a, job("a1")), committer.enqueue(b, job("b1"))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
    expect(commits).toEqual([{ ops: ["b1", "b:sealed"], writers: ["b"] }]);
    expect([a.failures, b.failures]).toEqual([1, 0]);
  });

  it("rejects every job of a batch whose commit fails and tells each writer; the next batch is written", async () => {
    const { committer, commits } = recording({ failCommit: (ops) => ops.includes("bad") });
    const a = new NamedWriter("a");
    const b = new NamedWriter("b");
    const failed = await Promise.allSettled([committer.enqueue(a, job("bad")), committer.add(b, "b1", joined)]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect([a.failures, b.failures]).toEqual([1, 1]);
    await committer.enqueue(b, job("b2"));
    expect(commits.map((c) => c.ops)).toEqual([["b2", "b:sealed"]]);
  });

  it("when the engine says a failed commit may be one write's fault, splits it so that only that job fails; every writer keeps its order", async () => {
    const { committer, commits } = recording({ failCommit: (ops) => ops.includes("bad"), isolates: true });
    const a = new NamedWriter("a"); // sealed: its jobs land or fail together
    const b = new UnsealedWriter("b");
    const c = new UnsealedWriter("c");
    const results = await Promise.allSettled([
      committer.enqueue(a, job("a1")),
      committer.enqueue(b, job("b1")),
      committer.enqueue(b, job("bad")),
      committer.enqueue(a, job("a2")),
      committer.enqueue(c, job("c1")),
      committer.enqueue(b, job("b3")),
    ]);
    expect(results.map((r) => (r.status === "rejected" ? (r.reason as Error).message : "landed"))).toEqual([
      "landed",
      "landed",
      "commit of bad failed",
      "landed",
      "landed",
      "landed",
    ]);
    const landed = commits.flatMap((commit) => commit.ops);
    expect(landed).toEqual(["a1", "a2", "a:sealed", "b1", "b3", "c1"]);
    expect(commits.some((commit) => commit.ops.includes("a1") && commit.ops.includes("a:sealed"))).toBe(true);
    expect([a.failures, b.failures, c.failures]).toEqual([0, 1, 0]);
  });

  it("rejects only the jobs of writers the commit refuses, with the commit's error for each, and tells them; the others land", async () => {
    const { committer, commits } = recording({ refuse: new Set(["a"]) });
    const a = new NamedWriter("a");
    const b = new NamedWriter("b");
    const results = await Promise.allSettled([committer.add(a, "a1", joined), committer.enqueue(b, job("b1")), committer.enqueue(a, job("a2"))]);
    expect(results.map((r) => (r.status === "rejected" ? (r.reason as Error).message : "landed"))).toEqual(["a refused", "landed", "a refused"]);
    expect(commits).toEqual([{ ops: ["b1", "b:sealed"], writers: ["b"] }]);
    expect([a.failures, b.failures]).toEqual([1, 0]);
  });

  it("caps the jobs in one batch, across writers, keeping each writer's order", async () => {
    const { committer, commits } = recording({ maxJobsPerBatch: 2 });
    const a = new NamedWriter("a");
    const b = new NamedWriter("b");
    await Promise.all([committer.enqueue(a, job("a1")), committer.enqueue(a, job("a2")), committer.enqueue(a, job("a3")), committer.enqueue(b, job("b1"))]);
    expect(commits.map((c) => c.ops)).toEqual([
      ["a1", "a2", "a:sealed"],
      ["a3", "a:sealed", "b1", "b:sealed"],
    ]);
  });

  it("while several writers write, holds lazy jobs arriving within commitIntervalMs of the last commit for one batch", async () => {
    testClock();
    const { committer, commits } = recording({ commitIntervalMs: 50 });
    const a = new NamedWriter("a");
    const b = new NamedWriter("b");
    await Promise.all([committer.enqueue(a, job("a1"), LAZY), committer.enqueue(b, job("b1"), LAZY)]);
    const later = [committer.add(a, "a2", joined, LAZY)]; // b wrote in the last batch: a2 waits for it
    await vi.advanceTimersByTimeAsync(49);
    expect(commits).toHaveLength(1);
    later.push(committer.add(b, "b2", joined, LAZY));
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all(later);
    expect(commits.map((c) => c.ops)).toEqual([
      ["a1", "a:sealed", "b1", "b:sealed"],
      ["a2", "a:sealed", "b2", "b:sealed"],
    ]);
  });

  it("never makes a job that is not lazy wait for commitIntervalMs, and takes the lazy ones waiting with it", async () => {
    const { committer, commits } = recording({ commitIntervalMs: 10_000 });
    const a = new NamedWriter("a");
    const b = new NamedWriter("b");
    await Promise.all([committer.enqueue(a, job("a1"), LAZY), committer.enqueue(b, job("b1"), LAZY)]);
    const lazy = committer.enqueue(a, job("a2"), LAZY); // waits for the interval: b wrote in the last batch
    await new Promise((resolve) => setImmediate(resolve)); // the drain is in its wait for the interval by then
    expect(commits).toHaveLength(1);
    await withTimeout(Promise.all([lazy, committer.enqueue(b, job("b2"))]), 1_000, "the waiting batch committed");
    expect(commits.map((c) => c.ops)).toEqual([
      ["a1", "a:sealed", "b1", "b:sealed"],
      ["a2", "a:sealed", "b2", "b:sealed"],
    ]);
  });

  it("ends the wait when an item that is not lazy joins a lazy run", async () => {
    const { committer, commits } = recording({ commitIntervalMs: 10_000 });
    const a = new NamedWriter("a");
    const b = new NamedWriter("b");
    await Promise.all([committer.enqueue(a, job("a1"), LAZY), committer.enqueue(b, job("b1"), LAZY)]);
    const lazy = committer.add(a, "a2", joined, LAZY);
    await new Promise((resolve) => setImmediate(resolve)); // the drain is in its wait for the interval by then
    await withTimeout(Promise.all([lazy, committer.add(a, "a3", joined)]), 1_000, "the run committed");
    expect(commits.map((c) => c.ops)).toEqual([
      ["a1", "a:sealed", "b1", "b:sealed"],
      ["a2+a3", "a:sealed"],
    ]);
  });

  it("never makes a lone writer wait for commitIntervalMs", async () => {
    const { committer, commits } = recording({ commitIntervalMs: 10_000 });
    const a = new NamedWriter("a");
    for (const op of ["a1", "a2", "a3"]) await withTimeout(committer.enqueue(a, job(op), LAZY), 1_000, `${op} committed`);
    expect(commits).toHaveLength(3);
  });

  it("makes a lone writer that queues while its commit is in flight (it streams) wait for commitIntervalMs", async () => {
    testClock();
    const commits: string[][] = [];
    let releaseFirst!: () => void;
    let firstInFlight!: () => void;
    const firstStarted = new Promise<void>((resolve) => (firstInFlight = resolve));
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const committer = new GroupCommitter<string, NamedWriter>({
      async commit(ops) {
        if (commits.length === 0) {
          firstInFlight();
          await firstHeld;
        }
        commits.push(ops);
      },
      maxJobsPerBatch: 512,
      maxItemsPerRun: 64,
      commitIntervalMs: 50,
    });
    const a = new NamedWriter("a");
    const first = committer.add(a, "a1", joined, LAZY);
    await firstStarted;
    const pending = [first, committer.add(a, "a2", joined, LAZY)];
    releaseFirst();
    await first;
    await vi.advanceTimersByTimeAsync(49); // a3 comes after a1 landed, within the interval
    expect(commits).toHaveLength(1);
    pending.push(committer.add(a, "a3", joined, LAZY));
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all(pending);
    expect(commits).toEqual([
      ["a1", "a:sealed"],
      ["a2+a3", "a:sealed"],
    ]);
  });

  it("takes a job writing hundreds of thousands of operations", async () => {
    const { committer, commits } = recording();
    await committer.enqueue(new NamedWriter("a"), () => Array.from({ length: 300_000 }, (_, i) => `${i}`));
    expect(commits[0]!.ops).toHaveLength(300_001);
  });
});
