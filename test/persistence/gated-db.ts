import type { BatchOp, ByteDb, ByteRange } from "../../persistence/index.js";

/**
 * A hold on the first batch or read that `match`es: `entered` resolves when it arrives, `release` lets it through
 * (or fails it with `error`).
 */
export interface Hold {
  entered: Promise<void>;
  release(error?: Error): void;
}

type Rule<T> = { match: (what: T) => boolean; apply: () => Promise<void> };

/**
 * Wraps a real LevelDB so a test can hold (slow down) or fail chosen batches or range reads, and see every batch
 * written. Other calls pass through.
 */
export function gatedDb(db: ByteDb) {
  const batchRules: Rule<BatchOp[]>[] = [];
  const readRules: Rule<ByteRange>[] = [];
  const batches: BatchOp[][] = [];
  const gate = async <T>(rules: Rule<T>[], what: T): Promise<void> => {
    const index = rules.findIndex((rule) => rule.match(what));
    if (index >= 0) await rules.splice(index, 1)[0]!.apply();
  };
  const gated = <T>(range: ByteRange, read: () => { all(): Promise<T> }) => ({
    all: async () => (await gate(readRules, range), read().all()),
  });
  const wrapped: ByteDb = {
    async batch(ops, options) {
      await gate(batchRules, ops);
      await db.batch(ops, options);
      batches.push(ops);
    },
    iterator: (range) => gated(range, () => db.iterator(range)),
    keys: (range) => gated(range, () => db.keys(range)),
    values: (range) => db.values(range),
  };
  const hold = <T>(rules: Rule<T>[], match: (what: T) => boolean): Hold => {
    let enter!: () => void;
    let release!: (error?: Error) => void;
    const entered = new Promise<void>((resolve) => (enter = resolve));
    const released = new Promise<void>((resolve, reject) => (release = (error) => (error ? reject(error) : resolve())));
    rules.push({ match, apply: () => (enter(), released) });
    return { entered, release };
  };
  return {
    db: wrapped,
    /** Every batch that landed, in order. */
    batches,
    hold: (match: (ops: BatchOp[]) => boolean) => hold(batchRules, match),
    fail(match: (ops: BatchOp[]) => boolean, error: Error): void {
      batchRules.push({ match, apply: () => Promise.reject(error) });
    },
    holdRead: (match: (range: ByteRange) => boolean) => hold(readRules, match),
    failRead(match: (range: ByteRange) => boolean, error: Error): void {
      readRules.push({ match, apply: () => Promise.reject(error) });
    },
  };
}

const needleOf = (text: string, encoding: "utf8" | "utf16be"): Buffer => (encoding === "utf8" ? Buffer.from(text) : Buffer.from(text, "utf16le").swap16());

/** Whether a batch writes any key containing `text` (document and room names appear in their keys). */
export function touches(text: string, encoding: "utf8" | "utf16be" = "utf8"): (ops: BatchOp[]) => boolean {
  const needle = needleOf(text, encoding);
  return (ops) => ops.some((op) => Buffer.from(op.key).includes(needle));
}

/** Whether a range read's bounds contain `text` (a document's log range names the document). */
export function reads(text: string): (range: ByteRange) => boolean {
  const needle = needleOf(text, "utf8");
  return (range) => [range.gt, range.gte, range.lt, range.lte].some((key) => key && Buffer.from(key).includes(needle));
}
