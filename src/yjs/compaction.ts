/**
 * When a room's stored update log is merged into one entry, per persistence mode (y-partykit semantics):
 * - snapshot: merged when the room unloads, and in the background once the log is long;
 * - history: merged (all of it) once it holds more than `maxUpdates` entries or `maxBytes` bytes.
 * Compaction runs in the background, one at a time, and never holds up appends (the DocStore keeps
 * updates appended during a compaction). The byte limits count what was appended since the log was last merged
 * (its merged first entry is the document itself): counting the whole log, a document larger than the limit was
 * encoded again after every append that followed a merge.
 */
import type { DocStats, DocStore } from "../../persistence/types.js";
import type { Logger } from "../runtime/log.js";
import { SNAPSHOT_COMPACT_BYTES, SNAPSHOT_COMPACT_UPDATES } from "./defaults.js";
import { asError } from "./errors.js";
import { inHeavyTurn } from "../runtime/heavy-work.js";

export type CompactionPolicy = { mode: "snapshot" } | { mode: "history"; maxUpdates: number; maxBytes: number };

/** `appended`: bytes of the log after its first entry, when that entry is a merge (0 for a log of one entry). */
function overLimits(stats: DocStats, appended: number, maxUpdates: number, maxBytes: number): boolean {
  return stats.updates > maxUpdates || (appended > maxBytes && stats.updates > 1);
}

export function shouldCompactInBackground(policy: CompactionPolicy, stats: DocStats, appended: number): boolean {
  return policy.mode === "snapshot"
    ? overLimits(stats, appended, SNAPSHOT_COMPACT_UPDATES, SNAPSHOT_COMPACT_BYTES)
    : overLimits(stats, appended, policy.maxUpdates, policy.maxBytes);
}

export function shouldCompactOnUnload(policy: CompactionPolicy, stats: DocStats, appended: number): boolean {
  return policy.mode === "snapshot" ? stats.updates > 1 : overLimits(stats, appended, policy.maxUpdates, policy.maxBytes);
}

export interface CompactorOptions {
  store: DocStore;
  name: string;
  policy: CompactionPolicy;
  logger: Pick<Logger, "warn">;
  /**
   * The state to store instead of the store's own merge: the live document, when it holds nothing the store should
   * not (no `load()` state), which is far cheaper to encode than the store re-applying its whole log.
   */
  snapshot?: () => Uint8Array;
  /** The store's merge keeps deleted content (the room keeps its history: gc off). Not with `snapshot`. */
  keepDeleted?: boolean;
  /**
   * Whether the room is busy applying an update in slices (src/yjs/slicing.ts): no merge starts then. A merge from
   * the live document would store the update in part (it is stored whole once it is in: never a part across a crash),
   * and it encodes the whole document in one turn, in the middle of work spread over turns so that no room waits long.
   */
  busy?: () => boolean;
}

export class Compactor {
  #stats: DocStats = { updates: 0, bytes: 0 };
  /** The log's bytes when it was last one merged entry (loaded so, or merged): what is appended counts from there. */
  #merged = 0;
  #running: Promise<void> | null = null;

  constructor(private readonly options: CompactorOptions) {}

  /** Reads the stored log's size once, when the room loads. */
  async start(): Promise<void> {
    this.#noteStats(await this.options.store.stats(this.options.name));
  }

  get stats(): DocStats {
    return { ...this.#stats };
  }

  /** Counts appends (`entries`: the log entries they made) and starts a background merge if the policy asks for it. */
  noteAppended(bytes: number, entries: number): void {
    this.#stats.updates += entries;
    this.#stats.bytes += bytes;
    this.recheck();
  }

  /** Starts a background merge if the policy asks for one and none runs (also once the room is no longer busy). */
  recheck(): void {
    if (this.#running || this.options.busy?.()) return;
    if (shouldCompactInBackground(this.options.policy, this.#stats, this.#appended)) void this.#compact();
  }

  /** Waits for a running merge, then merges if the unload rule asks for it. Never rejects (failures are logged). */
  async finish(): Promise<void> {
    if (this.#running) await this.#running;
    if (shouldCompactOnUnload(this.options.policy, this.#stats, this.#appended)) await this.#compact();
  }

  /** Waits for a running merge, starting none. Never rejects. */
  async settled(): Promise<void> {
    if (this.#running) await this.#running;
  }

  /** Bytes appended since the log was last one merged entry (all of it when it never was). */
  get #appended(): number {
    return this.#stats.bytes - this.#merged;
  }

  #noteStats(stats: DocStats): void {
    this.#stats = stats;
    // Appends made while a merge ran are in `stats` already, after the merged entry: they count as appended.
    if (stats.updates <= 1) this.#merged = stats.bytes;
  }

  #compact(): Promise<void> {
    const { store, name, logger } = this.options;
    this.#running = (async () => {
      try {
        const { snapshot, keepDeleted } = this.options;
        // Encoding the whole document is a pass over it: compactions of many rooms (stopping together) take turns.
        // The encoding and the call stay together: the store merges what was appended before the call.
        await (snapshot ? inHeavyTurn(() => store.compact(name, snapshot())) : store.compact(name, keepDeleted ? { keepDeleted } : undefined));
        this.#noteStats(await store.stats(name));
      } catch (error) {
        // The log stays as it was (still complete); the next trigger tries again.
        logger.warn("yjs.compact_failed", { code: "ERR_COMPACT_FAILED", doc: name, error: asError(error) });
      } finally {
        this.#running = null;
      }
    })();
    return this.#running;
  }
}
