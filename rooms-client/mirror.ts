/**
 * A client's copy of one room's authoritative state: applies `state.snapshot` and `state.patch`, checks that each
 * patch is the next `seq` and that the result has the server's `checksum`. On a gap or a mismatch it refuses the
 * patch and asks for a resync; patches are then ignored until the snapshot comes. Browser-safe.
 */
import { applyPatch, clone, stateChecksum, type JsonPatchOp } from "../src/rooms/wire/index.js";

export type MirrorVerdict = "applied" | "ignored" | "resync";

export class StateMirror<S = unknown> {
  state: S | undefined;
  seq = -1;
  /** True from a gap or mismatch until the next snapshot. */
  resyncing = false;

  snapshot(p: { state: unknown; seq: number; checksum?: string }): MirrorVerdict {
    if (p.state === undefined || !hasChecksum(p.state, p.checksum)) return this.#lost();
    this.state = p.state as S;
    this.seq = p.seq;
    this.resyncing = false;
    return "applied";
  }

  patch(p: { ops: JsonPatchOp[]; seq: number; checksum?: string }): MirrorVerdict {
    if (this.resyncing) return "ignored";
    if (p.seq <= this.seq) return "ignored"; // already had it (sent again after a resume)
    if (p.seq !== this.seq + 1) return this.#lost();
    let next: unknown;
    try {
      next = applyPatch(clone(this.state), p.ops);
    } catch {
      return this.#lost();
    }
    if (!hasChecksum(next, p.checksum)) return this.#lost();
    this.state = next as S;
    this.seq = p.seq;
    return "applied";
  }

  #lost(): MirrorVerdict {
    this.resyncing = true;
    return "resync";
  }
}

/** Whether `state` has `checksum` (none given: yes); a state with no JSON form (NaN, Infinity over MessagePack) has none. */
function hasChecksum(state: unknown, checksum: string | undefined): boolean {
  if (checksum === undefined) return true;
  try {
    return stateChecksum(state) === checksum;
  } catch {
    return false;
  }
}
