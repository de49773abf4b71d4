import type { BatchOp, ByteDb } from "../../persistence/index.js";

/** A hold on the first batch that `match`es: `entered` resolves when that batch arrives, `release` lets it through. */
export interface Hold {
  entered: Promise<void>;
  release(): void;
}

/**
 * Wraps a real LevelDB so a test can hold (slow down) or fail chosen batches. Reads and other batches pass through.
 */
export function gatedDb(db: ByteDb): { db: ByteDb; hold(match: (ops: BatchOp[]) => boolean): Hold; fail(match: (ops: BatchOp[]) => boolean, error: Error): void } {
  const rules: Array<{ match: (ops: BatchOp[]) => boolean; apply: () => Promise<void> }> = [];
  const wrapped: ByteDb = {
    async batch(ops, options) {
      const index = rules.findIndex((rule) => rule.match(ops));
      if (index >= 0) await rules.splice(index, 1)[0]!.apply();
      return db.batch(ops, options);
    },
    iterator: (range) => db.iterator(range),
    keys: (range) => db.keys(range),
    values: (range) => db.values(range),
  };
  return {
    db: wrapped,
    hold(match) {
      let enter!: () => void;
      let release!: () => void;
      const entered = new Promise<void>((resolve) => (enter = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      rules.push({ match, apply: () => (enter(), released) });
      return { entered, release };
    },
    fail(match, error) {
      rules.push({ match, apply: () => Promise.reject(error) });
    },
  };
}

/** Whether a batch writes any key containing `text` (document and room names appear in their keys). */
export function touches(text: string, encoding: "utf8" | "utf16be" = "utf8"): (ops: BatchOp[]) => boolean {
  const needle = encoding === "utf8" ? Buffer.from(text) : Buffer.from(text, "utf16le").swap16();
  return (ops) => ops.some((op) => Buffer.from(op.key).includes(needle));
}
