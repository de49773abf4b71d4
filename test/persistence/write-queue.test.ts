import { describe, expect, it } from "vitest";
import { WriteQueue } from "../../persistence/write-queue.js";

/** A queue whose commits are recorded (the queue itself is pure: no LevelDB needed). */
function recordingQueue(maxJobsPerBatch = 512, failCommit?: (ops: number[]) => boolean) {
  const commits: number[][] = [];
  const queue = new WriteQueue<number>(async (ops) => {
    if (failCommit?.(ops)) throw new Error("commit failed");
    commits.push(ops);
  }, maxJobsPerBatch);
  return { queue, commits };
}

describe("WriteQueue (per-document group commit)", () => {
  it("commits a burst of jobs as one batch, in order, and later jobs in the next", async () => {
    const { queue, commits } = recordingQueue();
    const burst = [1, 2, 3].map((n) => queue.enqueue(() => [n]));
    await Promise.all(burst);
    await queue.enqueue(() => [4]);
    expect(commits).toEqual([[1, 2, 3], [4]]);
  });

  it("caps the jobs in one batch", async () => {
    const { queue, commits } = recordingQueue(2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => queue.enqueue(() => [n])));
    expect(commits).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("rejects only the job whose build throws, and every job of a batch whose commit fails", async () => {
    const { queue, commits } = recordingQueue(512, (ops) => ops.includes(13));
    const results = await Promise.allSettled([
      queue.enqueue(() => [1]),
      queue.enqueue(() => {
        throw new Error("bad build");
      }),
      queue.enqueue(() => [2]),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const failed = await Promise.allSettled([queue.enqueue(() => [13]), queue.enqueue(() => [14])]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    await queue.enqueue(() => [15]);
    expect(commits).toEqual([[1, 2], [15]]);
  });

  it("takes a job writing hundreds of thousands of operations", async () => {
    const { queue, commits } = recordingQueue();
    await queue.enqueue(() => Array.from({ length: 300_000 }, (_, i) => i));
    expect(commits[0]).toHaveLength(300_000);
  });

  it("reports idle once everything queued is written", async () => {
    const { queue, commits } = recordingQueue();
    void queue.enqueue(() => [1]);
    void queue.enqueue(() => [2]);
    await queue.idle();
    expect(commits.flat()).toEqual([1, 2]);
  });
});
