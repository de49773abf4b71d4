/**
 * What the cluster needs of the storage: the fence (persistence/pg). `claim` bumps the room's fence and makes this
 * storage's writes of the room carry it; a write carrying an older fence than the room's is refused (ERR_FENCED).
 */
import type { Storage } from "../../persistence/types.js";

export interface FenceStore {
  claim(room: string, owner: string): Promise<number>;
  /** The room's fence in the database now, whoever claimed it. */
  fenceOf?(room: string): Promise<number | undefined>;
  /** The fence this storage claimed the room with, if it did. */
  heldFence?(room: string): Promise<number | undefined>;
  /** Stop writing the room (it moved or was unloaded). */
  forget?(room: string): void;
}

/** The storage as a fence store, or an error saying why a cluster cannot run on it. */
export function fencesOf(storage: Storage): Storage & FenceStore {
  const candidate = storage as Storage & Partial<FenceStore>;
  if (typeof candidate.claim !== "function") {
    throw new Error(`A cluster needs storage with fences (--store postgres://…); ${storage.location} has none`);
  }
  return candidate as Storage & FenceStore;
}
