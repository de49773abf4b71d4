/**
 * Long storage work a start waits for (a folder's format upgrade, a database's schema migration, a node waiting for
 * another node's): reported while it runs, so that a start taking seconds is not taken for a hang. A line when it
 * starts (what runs, and why), one at most every `PROGRESS_INTERVAL_MS` while it runs (how far), one when it ends (how
 * long it took). The server logs them as `storage.<task>_<stage>` (docs/persistence.md, "Upgrades").
 */

/** One line of a long piece of storage work. */
export interface StorageProgress {
  /** `"upgrade"`: this process brings the stored data to its format; `"upgrade_wait"`: it waits for another's upgrade. */
  task: "upgrade" | "upgrade_wait";
  stage: "started" | "progress" | "done";
  /** The folder, or the database's URL without its password. */
  location: string;
  /** For the operator: what runs and why (started), how far (progress), how long it took (done). */
  message: string;
  /** Milliseconds since it started (progress, done). */
  ms?: number;
  /** Estimated share done, 0–100, when the work's size is known (progress). */
  percent?: number;
}

export type OnStorageProgress = (progress: StorageProgress) => void;

/** Least time between two progress lines. */
export const PROGRESS_INTERVAL_MS = 1_000;

/** What a progress line says: its message, and the share done when known (the line then ends ", about N%"). */
export interface ProgressLine {
  message: string;
  percent?: number | undefined;
}

/** One piece of long work being reported: made by `startProgress`, ended by `done`. */
export interface Progress {
  /** Whether a progress line is due: `PROGRESS_INTERVAL_MS` passed since the last line (a clock read: call it per item). */
  due(): boolean;
  /** A progress line (when `due()`). */
  report(line: ProgressLine): void;
  /** The last line: `describe` gets the time taken, as "1.2 s". */
  done(describe: (took: string) => string): void;
}

const silent: Progress = { due: () => false, report: () => undefined, done: () => undefined };

/** Reports the start of `task` on `location` (its `message`: what runs and why), and returns its reporter. */
export function startProgress(onProgress: OnStorageProgress | undefined, task: StorageProgress["task"], location: string, message: string): Progress {
  if (!onProgress) return silent;
  const started = performance.now();
  let last = started;
  onProgress({ task, stage: "started", location, message });
  return {
    due: () => performance.now() - last >= PROGRESS_INTERVAL_MS,
    report({ message, percent }) {
      last = performance.now();
      const ms = Math.round(last - started);
      if (percent === undefined) onProgress({ task, stage: "progress", location, message, ms });
      else onProgress({ task, stage: "progress", location, message: `${message}, about ${percent}%`, ms, percent });
    },
    done(describe) {
      const ms = Math.round(performance.now() - started);
      onProgress({ task, stage: "done", location, message: describe(`${(ms / 1000).toFixed(1)} s`), ms });
    },
  };
}

/** The share `done` is of `total`, 0–99 (100 is the done line's); undefined when the total is not known. */
export const percentOf = (done: number, total: number | undefined): number | undefined =>
  total !== undefined && total > 0 ? Math.min(99, Math.round((100 * done) / total)) : undefined;

/** `count` with thousands separated ("12,345"), as the lines write counts. */
export const counted = (count: number): string => count.toLocaleString("en-US");

/** `bytes` in MB with one decimal ("12.3 MB"). */
export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
