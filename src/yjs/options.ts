/**
 * y-partykit's options, typed as y-partykit types them, and their resolution to what a room runs with.
 * Defaults follow y-partykit: without `persist` the document is garbage-collected and kept in memory only;
 * with `persist`, `gc` defaults to false (the history stays). Unlike y-partykit, `gc: true` together with
 * `persist` is allowed (the stored log then holds collected updates).
 */
import type * as Y from "yjs";
import type { Durability } from "../runtime/document-storage.js";
import type { CompactionPolicy } from "./compaction.js";
import { HISTORY_MAX_BYTES, HISTORY_MAX_UPDATES } from "./defaults.js";

export type YPartyKitPersistenceStrategy =
  | {
      /** Persist the edit history; the log is merged once it has more than `maxUpdates` entries or `maxBytes`. */
      mode: "history";
      maxUpdates?: number;
      /** At most (and by default) 10 MB. */
      maxBytes?: number;
    }
  | {
      /** Persist the document; the log is merged when the room unloads (and when it grows long). */
      mode: "snapshot";
    };

interface CallbackTiming {
  /** Quiet time after an edit before the callback runs (default 2000 ms). */
  debounceWait?: number;
  /** Longest an edit waits for the callback (default 10000 ms). */
  debounceMaxWait?: number;
  /** Per-attempt timeout of the URL POST (default 5000 ms). */
  timeout?: number;
  /** Root types to send to `url`: name → "Text" | "Map" | "Array" | "XmlFragment" | "XmlElement". */
  objects?: Record<string, string>;
}

export interface HandlerCallbackOptions extends CallbackTiming {
  handler: (doc: Y.Doc) => void | Promise<void>;
  url?: never;
  headers?: never;
}

export interface UrlCallbackOptions extends CallbackTiming {
  handler?: never;
  url: string;
  headers?: HeadersInit;
}

export type CallbackOptions = HandlerCallbackOptions | UrlCallbackOptions;

export interface YPartyKitOptions {
  /** Garbage-collect deleted content. Default: true without `persist`, false with it. */
  gc?: boolean;
  /** `{ mode: "snapshot" }`, `{ mode: "history", … }`, `true` (= history, deprecated) or false (default). */
  persist?: YPartyKitPersistenceStrategy | boolean;
  callback?: CallbackOptions;
  /** State to start from, applied before the stored state each time the room loads. */
  load?: () => Promise<Y.Doc | null | undefined>;
  /** Every connection of this room is read-only. */
  readOnly?: boolean;
  /** Awareness client ids one connection may own (default 16); entries for more are dropped. */
  maxAwarenessIdsPerConnection?: number;
  /** Structs and deleted ranges the document lacks that one update may hold (default `MAX_UPDATE_STRUCTS`, 1 000 000; bigger than `structsPerTurn`: applied in slices); more: 1009 / 413. */
  maxUpdateStructs?: number;
  /**
   * yparty: `"strict"` sends a change to the other connections only once it is stored (with `persist`); default:
   * the server's (`createServer({ durability })`, `"fast"`).
   */
  durability?: Durability;
}

export interface ResolvedOptions {
  gc: boolean;
  /** `undefined` when the document is not persisted. */
  policy: CompactionPolicy | undefined;
}

export function resolvePolicy(persist: YPartyKitOptions["persist"]): CompactionPolicy | undefined {
  if (!persist) return undefined;
  if (persist === true || persist.mode === "history") {
    const limits: { maxUpdates?: number; maxBytes?: number } = persist === true ? {} : persist;
    return {
      mode: "history",
      maxUpdates: Math.min(HISTORY_MAX_UPDATES, limits.maxUpdates || HISTORY_MAX_UPDATES),
      maxBytes: Math.min(HISTORY_MAX_BYTES, limits.maxBytes || HISTORY_MAX_BYTES),
    };
  }
  if (persist.mode === "snapshot") return { mode: "snapshot" };
  throw new TypeError(`Unknown persist mode ${JSON.stringify((persist as { mode?: unknown }).mode)}`);
}

export function resolveOptions(options: YPartyKitOptions): ResolvedOptions {
  const policy = resolvePolicy(options.persist);
  return { gc: options.gc ?? policy === undefined, policy };
}
